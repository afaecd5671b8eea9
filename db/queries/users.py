"""Accounts, read by id or email. Not tenant data: one user may hold roles in many tenants, so
these take the user's id (or email) and nothing else; what a user may reach is in memberships."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import User


async def by_id(user_id: UUID) -> User | None:
    return await User.get_or_none(id=user_id)


async def get(user_id: UUID) -> User:
    """The user, or ``DoesNotExist`` (for a principal whose account must exist)."""
    return await User.get(id=user_id)


async def active(user_id: UUID) -> User | None:
    return await User.get_or_none(id=user_id, is_active=True)


async def live(user_id: UUID | str) -> User | None:
    """Active and not deleted: the accounts a session may still be issued to."""
    return await User.get_or_none(id=user_id, is_active=True, deleted_at__isnull=True)


async def by_email(email: str) -> User | None:
    """The account signing in under ``email`` (deleted accounts are not found)."""
    return await User.get_or_none(email=email, deleted_at__isnull=True)


async def email_taken(email: str) -> bool:
    """Deleted accounts count: an address is never handed to a second person."""
    return await User.exists(email=email)


async def for_update(user_id: UUID | str, connection: BaseDBAsyncClient) -> User:
    return await User.select_for_update().using_db(connection).get(id=user_id)


async def advance_mfa_step(user_id: UUID, step: int, connection: BaseDBAsyncClient) -> int:
    """Moves the last accepted TOTP step forward; 0 rows when ``step`` is not newer (a replay)."""
    return await (
        User.filter(id=user_id, mfa_last_step__lt=step)
        .using_db(connection)
        .update(mfa_last_step=step)
    )


async def live_versions(user_ids: Collection[UUID | None]) -> list[Any]:
    """(id, token version) of the active, undeleted users among ``user_ids``."""
    return list(
        await User.filter(
            id__in=list(user_ids), is_active=True, deleted_at__isnull=True
        ).values_list("id", "token_version")
    )
