"""What an admin administers, and how roles rank.

Ranks: ORG_ADMIN 3 > PRACTICE_ADMIN 2 > DENTIST, HYGIENIST, RECEPTIONIST 1. An admin may give a
role up to their own rank and may only touch people whose every staff role they outrank or
equal, in practices (and organisations) they administer. Rank, not scope sets: a practice
admin holds no clinical scopes yet must be able to take on a dentist.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast
from uuid import UUID

from services.policy import Role, Scope
from services.principal import Principal

RANK: dict[Role, int] = {
    Role.ORG_ADMIN: 3,
    Role.PRACTICE_ADMIN: 2,
    Role.DENTIST: 1,
    Role.HYGIENIST: 1,
    Role.RECEPTIONIST: 1,
}
ASSIGNABLE = frozenset(RANK)


def _uuid(value: object) -> UUID | None:
    return None if value is None else value if isinstance(value, UUID) else UUID(str(value))


def org_administered(principal: Principal, organization_id: UUID | None) -> bool:
    """An organisation-level admin (ORG_ADMIN) of this organisation."""
    if organization_id is None:
        return False
    held = cast("Mapping[UUID, frozenset[Scope]]", principal.organization_scopes)
    return Scope.STAFF_ADMIN in held.get(organization_id, frozenset())


def rank_in(principal: Principal, practice_id: UUID) -> int:
    """The actor's rank for people of this practice (0: administers nothing there)."""
    if principal.enrolment_only or Scope.STAFF_ADMIN not in principal.scopes_in(practice_id):
        return 0
    if org_administered(principal, principal.organization_of(practice_id)):
        return RANK[Role.ORG_ADMIN]
    return RANK[Role.PRACTICE_ADMIN]


def membership_rank(principal: Principal, row: dict[str, Any]) -> tuple[int, int]:
    """(the target membership's rank, the actor's rank over it); rank 0 for non-staff."""
    role = Role(str(row["role"]))
    needed = RANK.get(role, 0)
    practice = _uuid(row["practice_id"])
    if practice is not None:
        return needed, rank_in(principal, practice)
    organization = _uuid(row["organization_id"])
    return needed, RANK[Role.ORG_ADMIN] if org_administered(principal, organization) else 0


__all__ = ["ASSIGNABLE", "RANK", "membership_rank", "org_administered", "rank_in"]
