"""The utilisation report in the schema (definitions in ``services.reports.utilisation``)."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.report_shapes import mapped
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import series
from services.reports.periods import Period
from services.reports.series import rate
from services.reports.utilisation import Resource, Use, Utilisation


def minutes(seconds: int) -> float:
    return round(seconds / 60, 2)


@strawberry.type(description="One practitioner's or room's booked and available time.")
class ResourceUtilisation:
    id: strawberry.ID = strawberry.field(description="The practitioner or room.")
    name: str = strawberry.field(description="Its name.")
    booked_minutes: float = strawberry.field(
        description="Minutes of its appointments (not cancelled; DNAs count) inside the bucket."
    )
    available_minutes: float = strawberry.field(
        description="Minutes of its bookable session time inside the bucket (real minutes: a "
        "session spanning the autumn clock change holds one more hour)."
    )
    utilisation: float | None = strawberry.field(
        description="bookedMinutes ÷ availableMinutes (4 places; above 1 when booked beyond its "
        "sessions; null when nothing was available)."
    )

    @classmethod
    def of(cls, resource: Resource, use: Use) -> ResourceUtilisation:
        return cls(
            id=strawberry.ID(str(resource.id)),
            name=resource.name,
            booked_minutes=minutes(use.booked),
            available_minutes=minutes(use.available),
            utilisation=rate(use.booked, use.available),
        )


@strawberry.type(
    description="Booked against available time in a bucket (or the period). Available time: "
    "the practitioners' weekly sessions (local wall time, narrowed by opening hours when set) "
    "minus absences and closures; a room's is the union of the sessions held in it. Booked "
    "time: appointments not cancelled (did-not-attend included: the chair was held), their "
    "minutes inside the bucket, not cut to sessions."
)
class UtilisationFigures:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    booked_minutes: float = strawberry.field(
        description="Minutes of appointments not cancelled inside the bucket (the same minutes "
        "count for their practitioner and for their room)."
    )
    practitioner_available_minutes: float = strawberry.field(
        description="The practitioners' available minutes, summed."
    )
    practitioner_utilisation: float | None = strawberry.field(
        description="bookedMinutes ÷ practitionerAvailableMinutes (4 places; null when none)."
    )
    chair_available_minutes: float = strawberry.field(
        description="The rooms' available minutes, summed (sessions held in a room)."
    )
    chair_utilisation: float | None = strawberry.field(
        description="bookedMinutes ÷ chairAvailableMinutes (4 places; null when none)."
    )
    practitioners: list[ResourceUtilisation] = strawberry.field(
        description="Each practitioner with time booked or available, by name."
    )
    rooms: list[ResourceUtilisation] = strawberry.field(
        description="Each room with time booked or available, by name."
    )

    @classmethod
    def of(cls, first: date, last: date, f: Utilisation) -> UtilisationFigures:
        people, chairs = f.practitioner_total, f.room_total
        return cls(
            first_day=first,
            last_day=last,
            booked_minutes=minutes(people.booked),
            practitioner_available_minutes=minutes(people.available),
            practitioner_utilisation=rate(people.booked, people.available),
            chair_available_minutes=minutes(chairs.available),
            chair_utilisation=rate(chairs.booked, chairs.available),
            practitioners=[
                ResourceUtilisation.of(r, u) for r, u in sorted(f.practitioners.items())
            ],
            rooms=[ResourceUtilisation.of(r, u) for r, u in sorted(f.rooms.items())],
        )


@strawberry.type(description="One practice's utilisation (or the organisation's combined).")
class UtilisationSeries:
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[UtilisationFigures] = strawberry.field(description="One per bucket, in order.")
    total: UtilisationFigures = strawberry.field(description="The whole period.")

    @classmethod
    def of(cls, found: series.Series[Utilisation], period: Period) -> UtilisationSeries:
        practice, buckets, total = mapped(found, period, UtilisationFigures.of)
        return cls(practice=practice, buckets=buckets, total=total)


@strawberry.type(description="Practitioner and chair utilisation by bucket.")
class UtilisationReport:
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[UtilisationSeries] = strawberry.field(description="Per practice.")
    combined: UtilisationSeries = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_report(cls, found: series.Report[Utilisation]) -> UtilisationReport:
        return cls(
            scope=scope_of(found),
            practices=[UtilisationSeries.of(s, found.period) for s in found.practices],
            combined=UtilisationSeries.of(found.combined, found.period),
            _record=read_record_of(found),
        )
