"""What a user holds: the roles that make a principal, read by user (or by the record a
portal login holds). Memberships are where tenancy comes from, so they are read by user id,
never through a tenant id.

Authentication runs before every request, so the account check and the memberships (with
the practices they reach) come back as one join instead of two or three ORM queries.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import Membership, User


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


async def roles_of(user_id: UUID) -> list[str]:
    return [
        str(role)
        for role in await Membership.filter(user_id=user_id).values_list("role", flat=True)
    ]


async def of_user(user_id: UUID) -> list[Membership]:
    return list(await Membership.filter(user_id=user_id).order_by("role", "created_at"))


async def roles_reaching(
    practice_id: UUID, organization_id: UUID, user_ids: Collection[UUID]
) -> list[Any]:
    """(user, role) of the users' memberships in the practice or in its organization."""
    return list(
        await Membership.filter(
            Q(practice_id=practice_id) | Q(organization_id=organization_id),
            user_id__in=list(user_ids),
        ).values_list("user_id", "role")
    )


async def holders_of(patient_id: UUID, role: str, connection: BaseDBAsyncClient) -> list[Any]:
    """Users holding the patient record through a ``role`` membership (portal logins)."""
    return list(
        await Membership.filter(patient_id=patient_id, role=role)
        .using_db(connection)
        .values_list("user_id", flat=True)
    )


async def holders_among(
    user_ids: Collection[Any],
    patient_ids: Collection[Any],
    role: str,
    connection: BaseDBAsyncClient,
) -> set[Any]:
    """Which of ``user_ids`` hold any of ``patient_ids`` through a ``role`` membership."""
    return set(
        await Membership.filter(
            user_id__in=list(user_ids), patient_id__in=list(patient_ids), role=role
        )
        .using_db(connection)
        .values_list("user_id", flat=True)
    )


async def holds_other_than(user_id: UUID, patient_id: UUID, connection: BaseDBAsyncClient) -> bool:
    """Whether the user holds any membership besides the ones on ``patient_id``."""
    return (
        await Membership.filter(user_id=user_id)
        .exclude(patient_id=patient_id)
        .using_db(connection)
        .exists()
    )


async def drop_record(
    user_id: UUID, patient_id: UUID, role: str, connection: BaseDBAsyncClient
) -> None:
    await (
        Membership.filter(user_id=user_id, patient_id=patient_id, role=role)
        .using_db(connection)
        .delete()
    )


async def records_held(user_id: UUID, role: str) -> list[tuple[Any, Any]]:
    """(practice, patient) of each record the user holds through a ``role`` membership."""
    return [
        (practice, patient)
        for practice, patient in await Membership.filter(user_id=user_id, role=role).values_list(
            "practice_id", "patient_id"
        )
    ]


async def organization_admins(
    organization_id: UUID, connection: BaseDBAsyncClient
) -> list[tuple[UUID, str, str]]:
    """(user id, email, full name) of the organisation's live admins: who is told when
    something of the organisation's needs an operator (a partner webhook endpoint disabled)."""
    rows = (
        await Membership.filter(
            organization_id=organization_id,
            role="ORG_ADMIN",
            user__is_active=True,
            user__deleted_at__isnull=True,
        )
        .using_db(connection)
        .order_by("created_at")
        .values_list("user_id", "user__email", "user__full_name")
    )
    return [(UUID(str(i)), str(email), str(name)) for i, email, name in rows]
