"""Tenant-scoped reads and the two atomic writes of aesthetic stock. The allowed practice comes
first; a batch of another practice answers like a missing one (None)."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from db.models import Batch
from db.tenancy import PracticeId


async def batch(
    practice_id: PracticeId, batch_id: UUID, connection: BaseDBAsyncClient | None = None
) -> Batch | None:
    query = Batch.filter(id=batch_id, practice_id=practice_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def take(
    practice_id: PracticeId, batch_id: UUID, amount_milli: int, connection: BaseDBAsyncClient
) -> bool:
    """Lower the batch's stock by ``amount_milli`` if that much is on hand: one conditional
    UPDATE, so concurrent takers of the last units cannot both succeed (PostgreSQL re-checks
    the condition on the locked row; SQLite runs writers one at a time)."""
    changed = (
        await Batch.filter(id=batch_id, practice_id=practice_id, on_hand_milli__gte=amount_milli)
        .using_db(connection)
        .update(on_hand_milli=F("on_hand_milli") - amount_milli)
    )
    return changed == 1


async def put(
    practice_id: PracticeId, batch_id: UUID, amount_milli: int, connection: BaseDBAsyncClient
) -> None:
    """Raise the batch's stock by ``amount_milli`` (a receipt or a positive adjustment)."""
    await (
        Batch.filter(id=batch_id, practice_id=practice_id)
        .using_db(connection)
        .update(on_hand_milli=F("on_hand_milli") + amount_milli)
    )
