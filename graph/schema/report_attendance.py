"""The attendance report in the schema (definitions in ``services.reports.attendance``)."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import attendance, series
from services.reports.attendance import Attendance
from services.reports.periods import Bucket
from services.reports.series import rate


@strawberry.type(description="How appointments starting in a bucket (or the period) turned out.")
class AttendanceFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    appointments: int = strawberry.field(
        description="Appointments starting in the bucket, whatever became of them."
    )
    completed: int = strawberry.field(description="Those completed.")
    cancelled: int = strawberry.field(description="Those cancelled (late or not).")
    late_cancelled: int = strawberry.field(
        description="Those cancelled inside the practice's notice period."
    )
    did_not_attend: int = strawberry.field(description="Those the patient did not attend.")
    online: int = strawberry.field(description="Those the patient booked in the portal.")
    dna_rate: float | None = strawberry.field(
        description="didNotAttend ÷ (appointments − cancelled): of the visits due to happen, "
        "the share missed (0-1, 4 places; null when none were due)."
    )
    late_cancellation_rate: float | None = strawberry.field(
        description="lateCancelled ÷ appointments (0-1; null when none)."
    )
    online_share: float | None = strawberry.field(
        description="online ÷ appointments (0-1; null when none)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: Attendance) -> AttendanceFigures:
        return cls(
            first_day=first,
            last_day=last,
            appointments=f.appointments,
            completed=f.completed,
            cancelled=f.cancelled,
            late_cancelled=f.late_cancelled,
            did_not_attend=f.did_not_attend,
            online=f.online,
            dna_rate=rate(f.did_not_attend, f.due),
            late_cancellation_rate=rate(f.late_cancelled, f.appointments),
            online_share=rate(f.online, f.appointments),
        )


@strawberry.type(description="One practice's attendance (or the organisation's combined).")
class AttendanceSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[AttendanceFigures] = strawberry.field(description="One per bucket, in order.")
    total: AttendanceFigures = strawberry.field(description="The whole period.")

    @classmethod
    def of(cls, found: series.Series[Attendance], first: date, last: date) -> AttendanceSeries:
        def figures(bucket: Bucket, f: Attendance) -> AttendanceFigures:
            return AttendanceFigures.of(bucket.first_day, bucket.last_day, f)

        return cls(
            practice=ReportPractice.from_calendar(found.practice),
            buckets=[figures(b, f) for b, f in found.buckets],
            total=AttendanceFigures.of(first, last, found.total),
        )


@strawberry.type(description="Appointments, cancellations, DNAs and online bookings by bucket.")
class AttendanceReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[AttendanceSeries] = strawberry.field(description="Per practice.")
    combined: AttendanceSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[Attendance]) -> AttendanceReport:
        first, last = found.period.first_day, found.period.last_day
        return cls(
            scope=scope_of(found),
            practices=[AttendanceSeries.of(s, first, last) for s in found.practices],
            combined=AttendanceSeries.of(found.combined, first, last),
            _record=read_record_of(found),
        )


__all__ = ["AttendanceReport", "attendance"]
