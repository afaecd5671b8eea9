"""A user's single-use MFA recovery codes (stored hashed). Account data, not tenant data."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import RecoveryCode


async def discard_all(user_id: UUID, connection: BaseDBAsyncClient) -> None:
    await RecoveryCode.filter(user_id=user_id).using_db(connection).delete()


async def spend(user_id: UUID, code_hash: str, when: datetime) -> int:
    """Marks an unused code used; 1 if it was there to spend, 0 otherwise (one statement, so
    two sign-ins racing with the same code cannot both win)."""
    return await RecoveryCode.filter(
        user_id=user_id, code_hash=code_hash, used_at__isnull=True
    ).update(used_at=when)
