"""The system owner's view: organisation-level counts, never patient data.

The system owner runs the platform for many client organisations and holds organization:admin
globally, but no reports:read and no role in any practice: it may learn how big each client is
and how much it uses the service, not anything about one patient. So this answers counts per
organisation only — practices, active staff accounts, patient records, and per bucket the
appointments and issued invoices — with no patient row, name or id and no amount of money.
Anyone else is FORBIDDEN (an organisation admin holds organization:admin in no form; the
schema's ``@requires`` refuses them first, and this checks the scope is held globally).

Definitions:
- practices: the organisation's practices;
- activeStaff: user accounts holding a staff role (ORG_ADMIN, PRACTICE_ADMIN, DENTIST,
  HYGIENIST, RECEPTIONIST) in the organisation or one of its practices, active and not
  deleted, each counted once;
- patients: patient records of its practices, merged duplicates left out (as of now);
- appointments: appointments starting in the bucket (each practice's own calendar days),
  whatever became of them;
- invoicesIssued: invoices (not credit notes) issued in the bucket.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from uuid import UUID
from zoneinfo import ZoneInfo

from db.queries import report_platform
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal
from services.reports import periods

NAME = "platformCounts"


@dataclass(frozen=True, slots=True)
class Usage:
    appointments: int = 0
    invoices_issued: int = 0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.appointments + other.appointments, self.invoices_issued + other.invoices_issued
        )


@dataclass(frozen=True, slots=True)
class OrganisationCounts:
    organization_id: UUID
    name: str
    practices: int
    active_staff: int
    patients: int
    buckets: list[tuple[periods.Bucket, Usage]]
    total: Usage


@dataclass(frozen=True, slots=True)
class PlatformCounts:
    period: periods.Period
    organisations: list[OrganisationCounts]
    details: tuple[str, ...]  # what was asked, for the audit row


def _usage_of(rows: list[report_platform.UsageRow]) -> Mapping[tuple[UUID, int], Usage]:
    found: dict[tuple[UUID, int], Usage] = {}
    for r in rows:
        key = (r.organization_id, r.bucket)
        found[key] = found.get(key, Usage()) + Usage(r.appointments, r.invoices)
    return found


async def counts(
    principal: Principal, *, first_day: date, last_day: date, grouping: str
) -> PlatformCounts:
    if Scope.ORGANIZATION_ADMIN not in principal.global_scopes or principal.enrolment_only:
        raise PolicyDenied("Platform counts are for the system owner.")
    found = periods.period(first_day, last_day, grouping)
    zones = await report_platform.zones()
    bounds = [
        (zone, b.index, b.starts_at, b.ends_at)
        for zone in zones
        for b in periods.buckets(found, ZoneInfo(zone))
    ]
    sizes = await report_platform.sizes()
    usage = _usage_of(await report_platform.usage(bounds))
    shared = periods.buckets(found, ZoneInfo("UTC"))  # the local dates every zone shares
    organisations = []
    for size in sizes:
        rows = [(b, usage.get((size.organization_id, b.index), Usage())) for b in shared]
        organisations.append(
            OrganisationCounts(
                size.organization_id,
                size.name,
                size.practices,
                size.active_staff,
                size.patients,
                rows,
                sum((u for _, u in rows), Usage()),
            )
        )
    asked = (
        f"report={NAME}",
        f"from={found.first_day.isoformat()}",
        f"to={found.last_day.isoformat()}",
        f"grouping={found.grouping.value}",
    )
    return PlatformCounts(found, organisations, asked)
