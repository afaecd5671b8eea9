"""Tenant-scoped reads and status changes of slot holds. The practice comes first.

Each change names the hold's practice as well as its id, so a hold id from another practice
changes nothing. Only :func:`practices_with_expired` spans practices: the expiry sweep's list
of where to work.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import NamedTuple
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import SlotHold
from db.tenancy import PracticeId


async def hold(
    practice_id: PracticeId, hold_id: UUID, connection: BaseDBAsyncClient | None = None
) -> SlotHold | None:
    return await SlotHold.filter(id=hold_id, practice_id=practice_id).using_db(connection).first()


async def use(practice_id: PracticeId, hold_id: UUID, connection: BaseDBAsyncClient) -> None:
    """The hold became a booking."""
    query = SlotHold.filter(id=hold_id, practice_id=practice_id).using_db(connection)
    await query.update(status="USED")


async def release(practice_id: PracticeId, hold_id: UUID, connection: BaseDBAsyncClient) -> int:
    """Releases the hold if it is still active; how many rows changed (0 or 1)."""
    query = SlotHold.filter(id=hold_id, practice_id=practice_id, status="ACTIVE")
    return await query.using_db(connection).update(status="RELEASED")


async def expired_locked(
    practice_id: PracticeId, now: datetime, connection: BaseDBAsyncClient
) -> list[SlotHold]:
    """Active holds that expired by ``now``, row-locked until the transaction ends, so two
    writers never announce the same expiry."""
    query = SlotHold.filter(practice_id=practice_id, status="ACTIVE", expires_at__lte=now)
    return await query.using_db(connection).select_for_update()


async def expire(
    practice_id: PracticeId, hold_ids: Collection[UUID], connection: BaseDBAsyncClient
) -> None:
    query = SlotHold.filter(id__in=list(hold_ids), practice_id=practice_id)
    await query.using_db(connection).update(status="EXPIRED")


class HoldingPractice(NamedTuple):
    """A practice with expired holds still active (the row the sweep mints its tenant from)."""

    practice_id: UUID


async def practices_with_expired(now: datetime) -> list[HoldingPractice]:
    """Every practice with an active hold expired by ``now`` (the system's expiry sweep)."""
    rows = (
        await SlotHold.filter(status="ACTIVE", expires_at__lte=now)
        .distinct()
        .values_list("practice_id", flat=True)
    )
    return [HoldingPractice(UUID(str(row))) for row in rows]
