"""The cancellation-reasons report in the schema (definitions in
``services.reports.cancellation_reasons``)."""

from __future__ import annotations

from datetime import date
from enum import Enum
from typing import cast

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.report_shapes import mapped
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import cancellation_reasons, series
from services.reports.cancellation_reasons import Cancellations, Tally
from services.reports.periods import Period
from services.reports.series import rate

# CancellationReason's values and UNCODED, built from the one list (no second copy to drift).
_REPORTED = cast(
    "type[Enum]", Enum("ReportedCancellationReason", [(r, r) for r in cancellation_reasons.REASONS])
)
ReportedCancellationReason = strawberry.enum(
    _REPORTED,
    name="ReportedCancellationReason",
    description="A CancellationReason, or UNCODED: cancelled without a code (before codes "
    "existed, or none given).",
)


@strawberry.type(description="Cancellations of one reason in a bucket.")
class CancellationReasonCount:
    reason: ReportedCancellationReason = strawberry.field(  # type: ignore[valid-type]
        description="The coded reason (UNCODED: none)."
    )
    cancelled: int = strawberry.field(description="Cancellations with this reason.")
    late_cancelled: int = strawberry.field(
        description="Those inside the practice's notice period (lateCancellation)."
    )
    share: float | None = strawberry.field(
        description="cancelled ÷ all cancellations in the bucket (0-1, 4 places; null when none)."
    )

    @classmethod
    def of(cls, reason: str, tally: Tally, whole: int) -> CancellationReasonCount:
        return cls(
            reason=ReportedCancellationReason(reason),
            cancelled=tally.cancelled,
            late_cancelled=tally.late,
            share=rate(tally.cancelled, whole),
        )


@strawberry.type(
    description="Cancelled appointments starting in a bucket (or the period), by coded reason."
)
class CancellationReasonsFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    cancelled: int = strawberry.field(description="All cancellations (late or not).")
    late_cancelled: int = strawberry.field(description="Those inside the practice's notice period.")
    reasons: list[CancellationReasonCount] = strawberry.field(
        description="Every reason, zeros included, in a fixed order (UNCODED last)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: Cancellations) -> CancellationReasonsFigures:
        whole = f.total
        return cls(
            first_day=first,
            last_day=last,
            cancelled=whole.cancelled,
            late_cancelled=whole.late,
            reasons=[CancellationReasonCount.of(r, t, whole.cancelled) for r, t in f.reasons()],
        )


@strawberry.type(
    description="One practice's cancellations by reason (or the organisation's combined)."
)
class CancellationReasonsSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[CancellationReasonsFigures] = strawberry.field(
        description="One per bucket, in order."
    )
    total: CancellationReasonsFigures = strawberry.field(description="The whole period.")

    @classmethod
    def of(cls, found: series.Series[Cancellations], period: Period) -> CancellationReasonsSeries:
        practice, buckets, total = mapped(found, period, CancellationReasonsFigures.of)
        return cls(practice=practice, buckets=buckets, total=total)


@strawberry.type(description="Cancellations by coded reason (late or not) by bucket.")
class CancellationReasonsReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[CancellationReasonsSeries] = strawberry.field(description="Per practice.")
    combined: CancellationReasonsSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[Cancellations]) -> CancellationReasonsReport:
        return cls(
            scope=scope_of(found),
            practices=[CancellationReasonsSeries.of(s, found.period) for s in found.practices],
            combined=CancellationReasonsSeries.of(found.combined, found.period),
            _record=read_record_of(found),
        )
