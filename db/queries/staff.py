"""Staff memberships as an admin manages them: who works where, in which role.

Reads for a listing take the practice (a tenant id) first; the target's own memberships are
read by user id (an account may work in several tenants) and checked by the service against
what the admin administers.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import Membership, User
from db.tenancy import OrganizationId, PracticeId

STAFF_ROLES = ("ORG_ADMIN", "PRACTICE_ADMIN", "DENTIST", "HYGIENIST", "RECEPTIONIST")


async def held_by(user_id: UUID, connection: BaseDBAsyncClient) -> list[dict[str, Any]]:
    """The user's memberships with the organisation of each practice one."""
    return list(
        await Membership.filter(user_id=user_id)
        .using_db(connection)
        .values("id", "role", "practice_id", "organization_id", "practice__organization_id")
    )


async def user_for_update(user_id: UUID, connection: BaseDBAsyncClient) -> User | None:
    return (
        await User.select_for_update()
        .using_db(connection)
        .get_or_none(id=user_id, deleted_at__isnull=True)
    )


async def other_org_admins(
    organization_id: OrganizationId, user_id: UUID, connection: BaseDBAsyncClient
) -> int:
    """Active accounts other than ``user_id`` holding ORG_ADMIN in the organisation."""
    return await (
        Membership.filter(
            organization_id=organization_id,
            role="ORG_ADMIN",
            user__is_active=True,
            user__deleted_at__isnull=True,
        )
        .exclude(user_id=user_id)
        .using_db(connection)
        .count()
    )


async def drop_practice_roles(
    practice_id: PracticeId, user_id: UUID, connection: BaseDBAsyncClient
) -> None:
    await (
        Membership.filter(practice_id=practice_id, user_id=user_id, role__in=list(STAFF_ROLES))
        .using_db(connection)
        .delete()
    )


async def drop_org_admin(
    organization_id: OrganizationId, user_id: UUID, connection: BaseDBAsyncClient
) -> None:
    await (
        Membership.filter(organization_id=organization_id, user_id=user_id, role="ORG_ADMIN")
        .using_db(connection)
        .delete()
    )


async def staff_of(
    practice_id: PracticeId, organization_id: OrganizationId
) -> list[dict[str, Any]]:
    """Staff memberships of the practice and the organisation's admins, with their accounts."""
    return list(
        await Membership.filter(
            Q(practice_id=practice_id) | Q(organization_id=organization_id, role="ORG_ADMIN"),
            role__in=list(STAFF_ROLES),
            user__deleted_at__isnull=True,
        )
        .order_by("user__full_name", "user_id", "role")
        .values(
            "user_id",
            "role",
            "practice_id",
            "user__email",
            "user__full_name",
            "user__is_active",
            "user__mfa_enabled",
        )
    )
