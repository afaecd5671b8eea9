"""The system owner's organisation-level counts in the schema (definitions in
``services.reports.platform``): counts only, never a patient's row, name or id, never money."""

from __future__ import annotations

from datetime import date

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.reports import ReportGrouping
from services.reports import platform
from services.reports.platform import Usage


@strawberry.type(description="An organisation's activity in a bucket (or the period).")
class PlatformUsage:
    first_day: date = strawberry.field(description="The bucket's first day.")
    last_day: date = strawberry.field(description="The bucket's last day.")
    appointments: int = strawberry.field(
        description="Appointments starting on these days (each practice's own calendar), "
        "whatever became of them."
    )
    invoices_issued: int = strawberry.field(
        description="Invoices (not credit notes) issued on these days."
    )

    @classmethod
    def of(cls, first: date, last: date, u: Usage) -> PlatformUsage:
        return cls(
            first_day=first,
            last_day=last,
            appointments=u.appointments,
            invoices_issued=u.invoices_issued,
        )


@strawberry.type(description="One client organisation's size and use of the service: counts only.")
class OrganizationCounts:
    organization_id: strawberry.ID = strawberry.field(description="The organisation.")
    name: str = strawberry.field(description="Its business name.")
    practices: int = strawberry.field(description="Its practices.")
    active_staff: int = strawberry.field(
        description="User accounts holding a staff role (ORG_ADMIN, PRACTICE_ADMIN, DENTIST, "
        "HYGIENIST, RECEPTIONIST) in it or one of its practices, active and not deleted, each "
        "counted once (now)."
    )
    patients: int = strawberry.field(
        description="Patient records of its practices, merged duplicates left out (now)."
    )
    buckets: list[PlatformUsage] = strawberry.field(description="One per bucket, in order.")
    total: PlatformUsage = strawberry.field(description="The whole period.")


@strawberry.type(
    description="Organisation-level counts for the system owner: how big each client is and "
    "how much it uses the service. No patient data and no money."
)
class PlatformCounts:
    first_day: date = strawberry.field(description="The first day counted.")
    last_day: date = strawberry.field(description="The last day counted.")
    grouping: ReportGrouping = strawberry.field(description="How the days were cut.")
    organizations: list[OrganizationCounts] = strawberry.field(
        description="Every organisation, by name."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record

    @classmethod
    def from_counts(cls, found: platform.PlatformCounts) -> PlatformCounts:
        first, last = found.period.first_day, found.period.last_day
        return cls(
            first_day=first,
            last_day=last,
            grouping=ReportGrouping(found.period.grouping.value),
            organizations=[
                OrganizationCounts(
                    organization_id=strawberry.ID(str(o.organization_id)),
                    name=o.name,
                    practices=o.practices,
                    active_staff=o.active_staff,
                    patients=o.patients,
                    buckets=[PlatformUsage.of(b.first_day, b.last_day, u) for b, u in o.buckets],
                    total=PlatformUsage.of(first, last, o.total),
                )
                for o in found.organisations
            ],
            _record=ReadRecord(
                f"Report:{platform.NAME}", platform.NAME, None, None, details=found.details
            ),
        )
