"""The practice's financial ledger head and entries (tenant id first)."""

from __future__ import annotations

from uuid import uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import LedgerEntry, LedgerHead
from db.tenancy import PracticeId

GENESIS = "0" * 64
_PG_GENESIS = (
    "INSERT INTO ledger_head (id, created_at, practice_id, seq, hash) "
    "VALUES ($1, now(), $2, 0, $3) ON CONFLICT (practice_id) DO NOTHING"
)


async def locked_head(practice_id: PracticeId, connection: BaseDBAsyncClient) -> LedgerHead:
    """The practice's head row, created at genesis if absent, locked for this transaction
    (PostgreSQL row lock; SQLite's writer lock is already held by the unit of work).

    On PostgreSQL the genesis row is made by ``INSERT … ON CONFLICT DO NOTHING``: two first
    appends at once both end up locking the one row (the second waits), instead of one of them
    failing on the unique practice id and aborting its transaction."""
    if connection.capabilities.dialect == "postgres":
        await connection.execute_query(_PG_GENESIS, [uuid4(), practice_id, GENESIS])
    else:
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
