"""Tenant-scoped reads behind a practitioner profile: the practice's staff memberships it is
made from, and the practitioner as a write transaction sees it. The practice comes first."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Membership, Practitioner
from db.tenancy import PracticeId


async def staff_member(practice_id: PracticeId, user_id: UUID) -> Membership | None:
    """The user's membership of the practice, with the user (for the profile's name)."""
    found = await Membership.filter(user_id=user_id, practice_id=practice_id).prefetch_related(
        "user"
    )
    return found[0] if found else None


async def is_staff(practice_id: PracticeId, user_id: UUID) -> bool:
    return await Membership.exists(user_id=user_id, practice_id=practice_id)


async def practitioner(
    practice_id: PracticeId, practitioner_id: UUID | str, connection: BaseDBAsyncClient
) -> Practitioner | None:
    query = Practitioner.filter(id=practitioner_id, practice_id=practice_id)
    return await query.using_db(connection).first()
