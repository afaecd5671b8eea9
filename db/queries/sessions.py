"""Refresh tokens (sessions), grouped in families. Account data, not tenant data."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import RefreshToken


async def for_rotation(token_hash: str, connection: BaseDBAsyncClient) -> RefreshToken | None:
    """The token locked for this transaction: two refreshes of one token cannot both rotate it."""
    return (
        await RefreshToken.select_for_update()
        .using_db(connection)
        .get_or_none(token_hash=token_hash)
    )


async def revoke_family(family_id: UUID, when: datetime, connection: BaseDBAsyncClient) -> None:
    await (
        RefreshToken.filter(family_id=family_id, revoked_at__isnull=True)
        .using_db(connection)
        .update(revoked_at=when)
    )


async def revoke_of_user(user_id: UUID, when: datetime, *, family_id: UUID | None) -> None:
    """Every live session of the user, or only the family ``family_id`` when given."""
    query = RefreshToken.filter(user_id=user_id, revoked_at__isnull=True)
    if family_id is not None:
        query = query.filter(family_id=family_id)
    await query.update(revoked_at=when)


async def revoke_all_in(user_id: UUID, when: datetime, connection: BaseDBAsyncClient) -> int:
    """Every live session of the user, inside the caller's transaction (deactivation, reset)."""
    return await (
        RefreshToken.filter(user_id=user_id, revoked_at__isnull=True)
        .using_db(connection)
        .update(revoked_at=when)
    )
