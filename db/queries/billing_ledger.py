"""The practice's financial ledger head and entries (tenant id first)."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import LedgerEntry, LedgerHead
from db.tenancy import PracticeId

GENESIS = "0" * 64


async def locked_head(practice_id: PracticeId, connection: BaseDBAsyncClient) -> LedgerHead:
    """The practice's head row, created at genesis if absent, locked for this transaction
    (PostgreSQL row lock; SQLite's writer lock is already held by the unit of work)."""
    await LedgerHead.get_or_create(
        practice_id=practice_id, defaults={"seq": 0, "hash": GENESIS}, using_db=connection
    )
    return await (
        LedgerHead.filter(practice_id=practice_id).select_for_update().using_db(connection).get()
    )


async def entries(
    practice_id: PracticeId, after_seq: int = 0, limit: int = 1000
) -> list[LedgerEntry]:
    return (
        await LedgerEntry.filter(practice_id=practice_id, seq__gt=after_seq)
        .order_by("seq")
        .limit(limit)
    )
