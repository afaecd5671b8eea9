"""Which practices a report may count, decided once for every report.

- A practice report needs reports:read in that practice (practice admins, org admins). Another
  organisation's practice and a random id answer the same NOT_FOUND.
- An organisation roll-up needs reports:read held organisation-wide (an ORG_ADMIN role of that
  organisation). A practice-level role asking for one gets FORBIDDEN, an organisation the caller
  is not in NOT_FOUND. A roll-up counts exactly the organisation's practices the caller reaches,
  each on its own calendar (time zone), per practice and combined.
- Patients and partner clients never read reports (they hold no reports:read).

The system owner holds no reports:read: it sees organisation-level counts only
(``services.reports.platform``), never a figure computed from one practice's patients.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID
from zoneinfo import ZoneInfo

from db.queries import organizations as org_queries
from db.tenancy import OrganizationId, PracticeId
from services import tenant_gate
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class PracticeCalendar:
    practice_id: PracticeId
    name: str
    zone: ZoneInfo


@dataclass(frozen=True, slots=True)
class Reach:
    """The practices a report counts (one, or an organisation's) with their calendars."""

    organization_id: OrganizationId | None
    practices: list[PracticeCalendar]

    @property
    def practice_ids(self) -> list[PracticeId]:
        return [p.practice_id for p in self.practices]

    @property
    def is_rollup(self) -> bool:
        return self.organization_id is not None


async def _calendars(allowed: list[PracticeId]) -> list[PracticeCalendar]:
    """In name order; ``allowed`` are already checked, so their ids are kept as they are."""
    by_id: dict[UUID, PracticeId] = {p: p for p in allowed}
    rows = await org_queries.practices(allowed)
    return [PracticeCalendar(by_id[UUID(str(r.id))], r.name, ZoneInfo(r.timezone)) for r in rows]


async def of_practice(principal: Principal, practice_id: UUID) -> Reach:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.REPORTS_READ)
    found = await _calendars([pid])
    if not found:
        raise NotFound("Practice")
    return Reach(None, found)


async def of_organization(principal: Principal, organization_id: UUID) -> Reach:
    oid = tenant_gate.organization_among(principal.organization_ids, organization_id)
    if Scope.REPORTS_READ not in principal.organization_scopes.get(oid, frozenset()):
        raise PolicyDenied("An organisation roll-up needs an organisation-wide role.")
    allowed = [
        p
        for p in principal.practices_with(Scope.REPORTS_READ)
        if principal.organization_of(p) == oid
    ]
    return Reach(oid, await _calendars(allowed))


async def of(
    principal: Principal, *, practice_id: UUID | None, organization_id: UUID | None
) -> Reach:
    """Exactly one of the two: a practice report or an organisation roll-up."""
    if (practice_id is None) == (organization_id is None):
        raise ValidationFailed("Name a practice or an organisation, not both.", field="practiceId")
    if practice_id is not None:
        return await of_practice(principal, practice_id)
    assert organization_id is not None
    return await of_organization(principal, organization_id)
