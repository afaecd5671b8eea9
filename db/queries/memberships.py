"""What a signed-in user holds right now, read in one statement per request.

Authentication runs before every request, so the account check and the memberships (with
the practices they reach) come back as one join instead of two or three ORM queries.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from db.models import User


@dataclass(frozen=True, slots=True)
class Held:
    """One membership; ``practices`` are the practices an organization-level role reaches."""

    role: str
    practice_id: UUID | None
    practice_organization_id: UUID | None
    organization_id: UUID | None
    patient_id: UUID | None
    practices: tuple[UUID, ...]


@dataclass(frozen=True, slots=True)
class Account:
    active: bool
    token_version: int
    memberships: tuple[Held, ...]


SQL = (
    "SELECT u.is_active, u.deleted_at IS NULL, u.token_version, m.id, m.role, m.practice_id, "
    "p.organization_id, m.organization_id, m.patient_id, op.id "
    "FROM app_user u LEFT JOIN membership m ON m.user_id = u.id "
    "LEFT JOIN practice p ON p.id = m.practice_id "
    "LEFT JOIN practice op ON m.practice_id IS NULL AND op.organization_id = m.organization_id "
    "WHERE u.id = {}"
)


def _uuid(value: object) -> UUID | None:
    if value is None or isinstance(value, UUID):
        return value
    return UUID(str(value))


async def account(user_id: UUID) -> Account | None:
    """The user's state and memberships; None if there is no such user."""
    client = User._meta.db
    sqlite = client.capabilities.dialect == "sqlite"
    sql = SQL.format("?" if sqlite else "$1")
    _, rows = await client.execute_query(sql, [str(user_id) if sqlite else user_id])
    if not rows:
        return None
    first = rows[0]
    found: dict[object, tuple[Held, list[UUID]]] = {}
    for row in rows:
        membership = row[3]
        if membership is None:
            continue
        if membership not in found:
            held = Held(
                role=str(row[4]),
                practice_id=_uuid(row[5]),
                practice_organization_id=_uuid(row[6]),
                organization_id=_uuid(row[7]),
                patient_id=_uuid(row[8]),
                practices=(),
            )
            found[membership] = (held, [])
        if row[9] is not None:
            found[membership][1].append(UUID(str(row[9])))
    memberships = tuple(
        Held(
            h.role,
            h.practice_id,
            h.practice_organization_id,
            h.organization_id,
            h.patient_id,
            tuple(reached),
        )
        for h, reached in found.values()
    )
    return Account(
        active=bool(first[0]) and bool(first[1]),
        token_version=int(first[2]),
        memberships=memberships,
    )
