"""The waiting-times report in the schema (definitions in ``services.reports.waits``)."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.report_shapes import mapped
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import series
from services.reports.periods import Period
from services.reports.waits import Waits, average_minutes


@strawberry.type(
    description="Waiting and chair time of visits starting in a bucket (or the period), from "
    "the workflow's stamps. Averages are summed seconds ÷ visits counted."
)
class WaitingTimesFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    waited_visits: int = strawberry.field(
        description="Visits stamped both ARRIVED (arrivedAt) and IN_SURGERY (seatedAt)."
    )
    total_wait_seconds: int = strawberry.field(
        description="Their seconds from arrivedAt to seatedAt, each rounded, summed."
    )
    average_wait_minutes: float | None = strawberry.field(
        description="totalWaitSeconds ÷ waitedVisits, in minutes (2 places; null when none)."
    )
    chair_visits: int = strawberry.field(
        description="Visits stamped both IN_SURGERY (seatedAt) and COMPLETED (completedAt)."
    )
    total_chair_seconds: int = strawberry.field(
        description="Their seconds from seatedAt to completedAt, each rounded, summed."
    )
    average_chair_minutes: float | None = strawberry.field(
        description="totalChairSeconds ÷ chairVisits, in minutes (2 places; null when none)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: Waits) -> WaitingTimesFigures:
        return cls(
            first_day=first,
            last_day=last,
            waited_visits=f.waited,
            total_wait_seconds=f.wait_seconds,
            average_wait_minutes=average_minutes(f.wait_seconds, f.waited),
            chair_visits=f.seated,
            total_chair_seconds=f.chair_seconds,
            average_chair_minutes=average_minutes(f.chair_seconds, f.seated),
        )


@strawberry.type(description="One practice's waiting times (or the organisation's combined).")
class WaitingTimesSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[WaitingTimesFigures] = strawberry.field(description="One per bucket, in order.")
    total: WaitingTimesFigures = strawberry.field(description="The whole period.")

    @classmethod
    def of(cls, found: series.Series[Waits], period: Period) -> WaitingTimesSeries:
        practice, buckets, total = mapped(found, period, WaitingTimesFigures.of)
        return cls(practice=practice, buckets=buckets, total=total)


@strawberry.type(description="Average wait (arrived to in surgery) and chair time by bucket.")
class WaitingTimesReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[WaitingTimesSeries] = strawberry.field(description="Per practice.")
    combined: WaitingTimesSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[Waits]) -> WaitingTimesReport:
        return cls(
            scope=scope_of(found),
            practices=[WaitingTimesSeries.of(s, found.period) for s in found.practices],
            combined=WaitingTimesSeries.of(found.combined, found.period),
            _record=read_record_of(found),
        )
