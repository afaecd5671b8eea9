"""The new-and-returning-patients report in the schema (definitions in
``services.reports.patient_mix``)."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.report_shapes import mapped
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import series
from services.reports.patient_mix import PatientMix
from services.reports.periods import Period
from services.reports.series import rate


@strawberry.type(
    description="Distinct patients who came (an appointment ARRIVED, IN_SURGERY or COMPLETED) "
    "in a bucket, or in the whole period, new to the practice or returning. The period's "
    "counts are its own (distinct patients), not the sum of the buckets'."
)
class PatientMixFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    seen: int = strawberry.field(
        description="Distinct patients with an attended appointment starting in the bucket "
        "(within the filters)."
    )
    new: int = strawberry.field(
        description="Those with no attended appointment at the practice before the bucket (any "
        "practitioner or type): new in the bucket of their first visit."
    )
    returning: int = strawberry.field(description="seen − new.")
    new_share: float | None = strawberry.field(
        description="new ÷ seen (0-1, 4 places; null when none)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: PatientMix) -> PatientMixFigures:
        return cls(
            first_day=first,
            last_day=last,
            seen=f.seen,
            new=f.new,
            returning=f.returning,
            new_share=rate(f.new, f.seen),
        )


@strawberry.type(description="One practice's patient mix (or the organisation's combined).")
class PatientMixSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined (the sum of "
        "the practices': a patient counts at each practice attended)."
    )
    buckets: list[PatientMixFigures] = strawberry.field(description="One per bucket, in order.")
    total: PatientMixFigures = strawberry.field(
        description="The whole period, counted over the period (not the sum of the buckets)."
    )

    @classmethod
    def of(cls, found: series.Series[PatientMix], period: Period) -> PatientMixSeries:
        practice, buckets, total = mapped(found, period, PatientMixFigures.of)
        return cls(practice=practice, buckets=buckets, total=total)


@strawberry.type(description="New and returning patients by bucket.")
class PatientMixReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[PatientMixSeries] = strawberry.field(description="Per practice.")
    combined: PatientMixSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[PatientMix]) -> PatientMixReport:
        return cls(
            scope=scope_of(found),
            practices=[PatientMixSeries.of(s, found.period) for s in found.practices],
            combined=PatientMixSeries.of(found.combined, found.period),
            _record=read_record_of(found),
        )
