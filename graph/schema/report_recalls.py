"""The recalls report in the schema (definitions in ``services.reports.recalls``)."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from graph.schema.scheduling_kinds import RecallKind
from services.reports import series
from services.reports.recalls import RecallCounts, Recalls, Who
from services.reports.series import rate
from services.scheduling import kinds


@strawberry.type(description="Recall cycles (one due date of a patient's EXAM or HYGIENE recall).")
class RecallCountFields:
    due: int = strawberry.field(
        description="Cycles falling due on a day of the bucket (the practice's calendar)."
    )
    met: int = strawberry.field(
        description="Of those, the ones a completed visit (or a treatment with that recall "
        "effect) has met, whenever it happened."
    )
    booked: int = strawberry.field(
        description="Of those not met, the ones with a live booking now: an appointment of "
        "the patient in the practice, of a type with that recall kind, booked before now, "
        "starting now or later and not cancelled."
    )
    converted: int = strawberry.field(description="met + booked.")
    conversion_rate: float | None = strawberry.field(
        description="converted ÷ due (0-1, 4 places; null when none were due)."
    )
    overdue: int = strawberry.field(
        description="At the bucket's end (now, for a bucket not over yet): cycles due before "
        "that day, whatever bucket they fell due in, not met by then and with no booking "
        "then (booked before that instant, starting at or after it, not cancelled before it). "
        "For the whole period: at its end."
    )

    @staticmethod
    def values(c: RecallCounts) -> dict[str, object]:
        return {
            "due": c.due,
            "met": c.met,
            "booked": c.booked,
            "converted": c.converted,
            "conversion_rate": rate(c.converted, c.due),
            "overdue": c.overdue,
        }


@strawberry.type(description="Recall cycles of one kind.")
class RecallKindFigures(RecallCountFields):
    kind: RecallKind = strawberry.field(description="EXAM or HYGIENE.")  # type: ignore[valid-type]


@strawberry.type(
    description="Recall cycles counted for one practitioner: the one of the visit that met the "
    "cycle; for one not met, of its earliest live booking, else of the patient's latest "
    "completed visit of that kind."
)
class RecallPractitionerFigures(RecallCountFields):
    practitioner_id: strawberry.ID | None = strawberry.field(
        description="The practitioner; null for cycles no practitioner can be named for."
    )
    name: str | None = strawberry.field(description="Their display name.")

    @classmethod
    def of(cls, who: Who, counts: RecallCounts) -> RecallPractitionerFigures:
        pid, name = who
        return cls(
            practitioner_id=None if pid is None else strawberry.ID(str(pid)),
            name=name,
            **RecallCountFields.values(counts),  # type: ignore[arg-type]
        )


@strawberry.type(description="Recalls of a bucket (or the period), all and split.")
class RecallFigures(RecallCountFields):
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    by_kind: list[RecallKindFigures] = strawberry.field(description="EXAM, then HYGIENE.")
    by_practitioner: list[RecallPractitionerFigures] = strawberry.field(
        description="Practitioners with any cycle, by name (the unassigned last)."
    )

    @classmethod
    def of(cls, first: date, last: date, f: Recalls) -> RecallFigures:
        return cls(
            first_day=first,
            last_day=last,
            by_kind=[
                RecallKindFigures(
                    kind=kinds.RecallKind(k),
                    **RecallCountFields.values(c),  # type: ignore[arg-type]
                )
                for k, c in f.kinds()
            ],
            by_practitioner=[RecallPractitionerFigures.of(w, c) for w, c in f.practitioners()],
            **RecallCountFields.values(f.counts),  # type: ignore[arg-type]
        )


@strawberry.type(description="One practice's recalls (or the organisation's combined).")
class RecallSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[RecallFigures] = strawberry.field(description="One per bucket, in order.")
    total: RecallFigures = strawberry.field(description="The whole period (overdue: at its end).")

    @classmethod
    def of(cls, found: series.Series[Recalls], first: date, last: date) -> RecallSeries:
        return cls(
            practice=ReportPractice.from_calendar(found.practice),
            buckets=[RecallFigures.of(b.first_day, b.last_day, f) for b, f in found.buckets],
            total=RecallFigures.of(first, last, found.total),
        )


@strawberry.type(
    description="Recalls by bucket of the due date: due, met, booked, converted and overdue, "
    "per recall kind and practitioner. Due dates met before migration 0028 were not kept."
)
class RecallReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[RecallSeries] = strawberry.field(description="Per practice.")
    combined: RecallSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[Recalls]) -> RecallReport:
        first, last = found.period.first_day, found.period.last_day
        return cls(
            scope=scope_of(found),
            practices=[RecallSeries.of(s, first, last) for s in found.practices],
            combined=RecallSeries.of(found.combined, first, last),
            _record=read_record_of(found),
        )
