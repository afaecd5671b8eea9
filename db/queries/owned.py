"""The one scoped lookup of a practice-owned row by id. The allowed practices come first.

A row of another practice and a row that does not exist both come back as None, so every caller
answers them with the same NOT_FOUND (same message) and existence never leaks across tenants.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar
from uuid import UUID

from tortoise.models import Model

from db.tenancy import PracticeId

Row = TypeVar("Row", bound=Model)


async def row(
    model: type[Row], allowed: Collection[PracticeId], row_id: UUID, **filters: Any
) -> Row | None:
    """``model``'s row ``row_id`` if it belongs to one of ``allowed`` (and matches ``filters``)."""
    if not allowed:
        return None
    return await model.get_or_none(id=row_id, practice_id__in=list(allowed), **filters)
