"""The process_keys rows: each running process's key ids, refreshed on a timer (no tenant)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from db.models.key_presence import ProcessKeys


async def report(
    process: str,
    *,
    kind: str,
    key_ids: Sequence[str],
    current_key_id: str,
    started_at: datetime,
    now: datetime,
    expires_at: datetime,
) -> None:
    """Insert or refresh this process's row (only this process ever writes it)."""
    values: dict[str, Any] = {
        "key_ids": list(key_ids),
        "current_key_id": current_key_id,
        "seen_at": now,
        "expires_at": expires_at,
    }
    if not await ProcessKeys.filter(process=process).update(**values):
        await ProcessKeys.create(process=process, kind=kind, started_at=started_at, **values)


async def forget(process: str) -> None:
    await ProcessKeys.filter(process=process).delete()


async def live(now: datetime) -> list[ProcessKeys]:
    return await ProcessKeys.filter(expires_at__gt=now).order_by("process")


async def prune(before: datetime) -> int:
    """Rows of processes that died without a goodbye, long expired."""
    return await ProcessKeys.filter(expires_at__lt=before).delete()
