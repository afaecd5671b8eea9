"""Failed sign-in counters per account and per client address. Not tenant data."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import LoginThrottle


async def locked(keys: Collection[str], now: datetime) -> list[LoginThrottle]:
    return await LoginThrottle.filter(key__in=list(keys), locked_until__gt=now)


async def for_update(key: str, connection: BaseDBAsyncClient) -> LoginThrottle:
    return await LoginThrottle.select_for_update().using_db(connection).get(key=key)


async def clear(keys: Collection[str]) -> None:
    await LoginThrottle.filter(key__in=list(keys)).delete()
