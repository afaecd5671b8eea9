"""What a practice's diary is made of, listed for the board: practitioners, rooms, appointment
types and extra resources. Readers of the practice's schedule may list them; patients book
through ``onlineAppointmentTypes`` instead, and another practice answers like a random id."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Generic, TypeVar
from uuid import UUID

from db.models.base import Entity
from db.queries import diary_items
from services import tenant_gate
from services.policy import Scope
from services.principal import Principal
from services.scheduling.diary_access import staff_practice

Item = TypeVar("Item", bound=Entity)


@dataclass(frozen=True, slots=True)
class Page(Generic[Item]):
    items: list[Item]
    has_next: bool


async def listed(
    principal: Principal,
    model: type[Item],
    *,
    practice_id: UUID,
    include_archived: bool,
    first: int,
    after: tuple[str, UUID] | None,
) -> Page[Item]:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_READ)
    rows = await diary_items.page(
        model,
        principal.practices_with(Scope.SCHEDULE_READ),
        pid,
        include_archived=include_archived,
        after=after,
        limit=first + 1,
    )
    return Page(rows[:first], len(rows) > first)


async def by_ids(
    principal: Principal, model: type[Item], *, ids: Collection[UUID]
) -> dict[UUID, Item]:
    """Items fetched by id (``node``/``nodes``) under :func:`listed`'s rule (schedule:read in
    their practice, staff and partner apps only), archived ones too; one statement. The ones
    left out answer NOT_FOUND, like a random id."""
    allowed = tenant_gate.practices_for(principal, Scope.SCHEDULE_READ)
    return {UUID(str(row.id)): row for row in await diary_items.by_ids(model, allowed, ids)}
