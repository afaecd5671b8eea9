"""Tenant-scoped pages of a practice's diary set-up: practitioners, rooms, appointment types and
extra resources (the board's columns and pickers). The allowed practices come first.

One statement per page whatever its size, keyset-ordered by (name, id) so a page never skips or
repeats an item when others are added meanwhile. Archived (inactive) items are left out unless
asked for.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any, TypeVar
from uuid import UUID

from tortoise.expressions import Q

from db.models import AppointmentType, ExtraResource, Practitioner, Room
from db.models.base import Entity
from db.tenancy import PracticeId

Item = TypeVar("Item", bound=Entity)

# The name each kind of item is listed by.
SORT_COLUMNS: dict[type[Entity], str] = {
    Practitioner: "display_name",
    Room: "name",
    AppointmentType: "name",
    ExtraResource: "name",
}


def sort_key(item: Entity) -> tuple[str, str]:
    """The keyset position of an item (what a cursor carries)."""
    return str(getattr(item, SORT_COLUMNS[type(item)])), str(item.id)


async def page(
    model: type[Item],
    allowed: Collection[PracticeId],
    practice_id: PracticeId,
    *,
    include_archived: bool,
    after: tuple[str, UUID] | None,
    limit: int,
) -> list[Item]:
    """Up to ``limit`` items of the practice after the keyset position ``after``."""
    if practice_id not in allowed:
        return []
    column = SORT_COLUMNS[model]
    query = model.filter(practice_id=practice_id)
    if not include_archived:
        query = query.filter(active=True)
    if after is not None:
        name, last_id = after
        later: dict[str, Any] = {f"{column}__gt": name}
        tied: dict[str, Any] = {column: name, "id__gt": last_id}
        query = query.filter(Q(**later) | Q(**tied))
    return await query.order_by(column, "id").limit(limit)


async def by_ids(
    model: type[Item], allowed: Collection[PracticeId], ids: Collection[UUID]
) -> list[Item]:
    """The items among ``ids`` that lie in ``allowed`` practices, archived ones too (one
    statement): a fetch by id names the item, it does not browse the board's pickers."""
    if not allowed or not ids:
        return []
    return await model.filter(id__in=list(ids), practice_id__in=list(allowed))
