"""Removing blobs no document row names: uploads that crashed between the store and the commit,
and erased documents whose blobs could not be deleted at the time.

Such a blob is already unreadable (its key lived only in the row), so this is housekeeping, not
a privacy control; a grace period keeps the sweep away from uploads still in flight.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from db.queries import documents as queries
from services.documents import stores

BATCH = 500


@dataclass(frozen=True, slots=True)
class SweepReport:
    examined: int
    orphaned: int
    deleted: int


async def sweep(
    *,
    apply: bool,
    grace: timedelta = timedelta(hours=1),
    on_batch: Callable[[str, int], None] | None = None,
) -> SweepReport:
    store = stores.current()
    cutoff = datetime.now(UTC) - grace
    examined = orphaned = deleted = 0
    batch: list[str] = []

    async def settle() -> None:
        nonlocal orphaned, deleted
        named = await queries.referenced(batch)
        lost = [key for key in batch if key not in named]
        orphaned += len(lost)
        if apply:
            for key in lost:
                await store.delete(key)
                deleted += 1
        if on_batch is not None:
            on_batch("orphaned", len(lost))
        batch.clear()

    async for blob in store.listing():
        examined += 1
        if on_batch is not None and examined % BATCH == 0:
            on_batch("examined", BATCH)
        if blob.modified_at < cutoff:
            batch.append(blob.key)
        if len(batch) >= BATCH:
            await settle()
    await settle()
    if on_batch is not None:
        on_batch("examined", examined % BATCH)
    return SweepReport(examined, orphaned, deleted)


__all__ = ["SweepReport", "sweep"]
