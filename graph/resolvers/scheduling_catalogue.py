"""The board's columns and pickers: a practice's practitioners, rooms, appointment types and
extra resources, as connections ordered by name (archived ones only when asked for)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, TypeVar
from uuid import UUID

import strawberry

from db.models import AppointmentType as AppointmentTypeModel
from db.models import ExtraResource as ExtraResourceModel
from db.models import Practitioner as PractitionerModel
from db.models import Room as RoomModel
from db.models.base import Entity
from db.queries.diary_items import sort_key
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.scheduling_catalogue import AppointmentType, ExtraResource, Practitioner, Room
from services.policy import Scope
from services.scheduling import catalogue

IncludeArchived = Annotated[
    bool,
    strawberry.argument(
        description="Also list archived (deactivated) items; default false: active ones only."
    ),
]
Model = TypeVar("Model", bound=Entity)
Node = TypeVar("Node")


async def _connection(
    info: Info,
    model: type[Model],
    to_node: Callable[[Model], Node],
    *,
    practice_id: strawberry.ID,
    include_archived: bool,
    first: int | None,
    after: str | None,
) -> Connection[Node]:
    found = await catalogue.listed(
        info.context.principal,
        model,
        practice_id=id_argument(practice_id=practice_id),
        include_archived=include_archived,
        first=page_size(first),
        after=after_key(after, str, UUID),
    )
    cursor: Callable[[Any], list[str]] = lambda item: list(sort_key(item))  # noqa: E731
    return Connection[Node].build(found.items, to_node, cursor, has_next=found.has_next)


@strawberry.type
class SchedulingCatalogueQueries:
    @strawberry.field(
        description="The practice's practitioners by display name: the board's columns.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def practitioners(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: IncludeArchived = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Practitioner] | None:
        return await _connection(
            info,
            PractitionerModel,
            Practitioner.from_model,
            practice_id=practice_id,
            include_archived=include_archived,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The practice's rooms by name.", extensions=requires(Scope.SCHEDULE_READ)
    )
    async def rooms(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: IncludeArchived = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Room] | None:
        return await _connection(
            info,
            RoomModel,
            Room.from_model,
            practice_id=practice_id,
            include_archived=include_archived,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The practice's appointment types by name.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def appointment_types(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: IncludeArchived = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AppointmentType] | None:
        return await _connection(
            info,
            AppointmentTypeModel,
            AppointmentType.from_model,
            practice_id=practice_id,
            include_archived=include_archived,
            first=first,
            after=after,
        )

    @strawberry.field(
        description="The practice's extra resources (nurses, equipment) by name.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def extra_resources(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: IncludeArchived = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ExtraResource] | None:
        return await _connection(
            info,
            ExtraResourceModel,
            ExtraResource.from_model,
            practice_id=practice_id,
            include_archived=include_archived,
            first=first,
            after=after,
        )
