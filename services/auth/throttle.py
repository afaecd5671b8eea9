"""Slowing and locking repeated failed sign-ins, per account and per client address.

A locked key is refused before the password is checked, so a locked account cannot be probed
for password correctness.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from db.models import LoginThrottle
from db.queries import login_throttle
from services import runtime
from services.errors import AccountLocked

WINDOW = timedelta(minutes=15)
# Per address we allow more failures: one clinic's reception shares one public IP.
IP_MULTIPLIER = 4


def _limit(key: str) -> int:
    base = runtime.config().login_max_failures
    return base * IP_MULTIPLIER if key.startswith("ip:") else base


async def ensure_not_locked(*keys: str) -> None:
    now = datetime.now(UTC)
    rows = await login_throttle.locked(keys, now)
    if rows:
        until = max(row.locked_until for row in rows if row.locked_until is not None)
        raise AccountLocked(max(1, int((until - now).total_seconds())))


async def record_failure(*keys: str) -> None:
    """Counts a failure; adds a growing delay, and locks at the limit."""
    now = datetime.now(UTC)
    worst = 0
    async with in_transaction() as connection:
        for key in keys:
            await LoginThrottle.bulk_create(
                [LoginThrottle(key=key, failures=0, window_started_at=now)],
                ignore_conflicts=True,
                using_db=connection,
            )
            row = await login_throttle.for_update(key, connection)
            if now - row.window_started_at > WINDOW:
                row.failures, row.window_started_at = 0, now
            row.failures += 1
            if row.failures >= _limit(key):
                row.locked_until = now + runtime.config().login_lock
                row.failures = 0
                row.window_started_at = now
            worst = max(worst, row.failures)
            await row.save(using_db=connection)
    # Tarpit: each consecutive failure costs the caller a little more time.
    await asyncio.sleep(min(0.05 * worst, 0.5))


async def clear(*keys: str) -> None:
    await login_throttle.clear(keys)


async def within_limit(key: str, limit: int, window: timedelta) -> bool:
    """Counts one request under ``key``; False once more than ``limit`` fell in ``window``.

    For requests that are not sign-ins but must not be repeated without end (password-reset
    emails per address and per client address). Keys never hold an email in clear.
    """
    now = datetime.now(UTC)
    async with in_transaction() as connection:
        await LoginThrottle.bulk_create(
            [LoginThrottle(key=key, failures=0, window_started_at=now)],
            ignore_conflicts=True,
            using_db=connection,
        )
        row = await login_throttle.for_update(key, connection)
        if now - row.window_started_at > window:
            row.failures, row.window_started_at = 0, now
        row.failures += 1
        await row.save(using_db=connection)
    return row.failures <= limit
