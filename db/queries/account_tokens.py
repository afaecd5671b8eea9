"""Single-use account tokens (invitation, password reset, email change). Account data, not
tenant data: found by the keyed hash of the secret the link carried, or by their user."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import AccountToken


async def for_use(token_hash: str, connection: BaseDBAsyncClient) -> AccountToken | None:
    """The token locked for this transaction: two uses of one link cannot both succeed."""
    return (
        await AccountToken.select_for_update()
        .using_db(connection)
        .get_or_none(token_hash=token_hash)
    )


async def spend_open(
    user_id: UUID, purpose: str, when: datetime, connection: BaseDBAsyncClient
) -> int:
    """Earlier unused links of the same purpose stop working (only the newest one counts)."""
    return await (
        AccountToken.filter(user_id=user_id, purpose=purpose, used_at__isnull=True)
        .using_db(connection)
        .update(used_at=when)
    )


async def spend_all_open(user_id: UUID, when: datetime, connection: BaseDBAsyncClient) -> int:
    """Every unused link of the user (deactivation: no invitation or reset revives it)."""
    return await (
        AccountToken.filter(user_id=user_id, used_at__isnull=True)
        .using_db(connection)
        .update(used_at=when)
    )
