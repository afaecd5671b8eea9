"""The key rotation's walk over a table with encrypted columns: every tenant's rows, in id
order and small batches, each rewritten only if it still holds what was read."""

from __future__ import annotations

from typing import Any

from tortoise.models import Model


async def batch(model: type[Model], *, after: Any, limit: int) -> list[Any]:
    """Up to ``limit`` rows with an id above ``after`` (from the start when None)."""
    query = model.all().order_by("id").limit(limit)
    if after is not None:
        query = query.filter(id__gt=after)
    return await query


async def compare_and_set(
    model: type[Model], row_id: Any, old: dict[str, str], new: dict[str, str]
) -> int:
    """1 if the row still held ``old`` and now holds ``new``, else 0 (someone changed it)."""
    return int(await model.filter(id=row_id, **old).update(**new))
