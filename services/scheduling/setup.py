"""Committing a change to the diary's set-up (rooms, practitioners, types, resources, sessions,
absences, closures, opening hours): the write, its audit record and a ``setup.changed`` board
event in one unit of work, so an open board learns to reload its columns and rules.

Changes that can take bookable time away pass a :class:`~stranding.Reach` and are checked for
bookings they would strand (see ``services.scheduling.stranding``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from db.models.base import Entity
from db.queries import diary_setup
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import audit
from services.errors import Conflict, NotFound
from services.principal import Principal
from services.scheduling import change_records, diary_access, stranding

ENTITIES = {
    "Room": "ROOM",
    "Practitioner": "PRACTITIONER",
    "AppointmentType": "APPOINTMENT_TYPE",
    "ExtraResource": "RESOURCE",
    "WorkingSession": "WORKING_SESSION",
    "Absence": "ABSENCE",
    "Closure": "CLOSURE",
    "OpeningHours": "OPENING_HOURS",
    "ProfessionalRegistration": "REGISTRATION",
}
# The first word of the audit action says what happened to the item.
VERBS = {
    "CREATE": "CREATED",
    "ADD": "CREATED",
    "RECORD": "CREATED",
    "UPDATE": "UPDATED",
    "SET": "UPDATED",
    "ARCHIVE": "ARCHIVED",
    "DEACTIVATE": "ARCHIVED",
    "REACTIVATE": "REACTIVATED",
    "REMOVE": "REMOVED",
    "REVOKE": "ARCHIVED",
}
Write = Callable[[BaseDBAsyncClient], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Saved:
    """What a set-up mutation reports: the item, and bookings it left outside bookable time."""

    id: UUID
    affected_appointment_ids: list[UUID] = field(default_factory=list)


async def commit(
    principal: Principal,
    practice_id: PracticeId,
    row: Entity,
    action: str,
    write: Write,
    *,
    fields: list[str] | None = None,
    reach: stranding.Reach | None = None,
    accept: bool = False,
) -> Saved:
    """Runs ``write`` with its audit record and board event; a name clash is CONFLICT."""
    organization_id = principal.organization_of(practice_id)
    if organization_id is None:
        raise NotFound("Practice")
    if reach is not None:
        await diary_access.settings_for(practice_id)  # the row SQLite's booking lock is taken on
    affected: list[UUID] = []
    try:
        async with unit_of_work() as uow:
            if reach is None:
                await write(uow.connection)
            else:
                async with stranding.guard(uow, practice_id, reach, accept=accept) as found:
                    await write(uow.connection)
                affected = found
            uow.audit(
                audit.record_for(
                    principal,
                    action=action,
                    practice_id=practice_id,
                    entity_type=type(row).__name__,
                    entity_id=row.id,
                    fields=fields,
                )
            )
            uow.emit(
                change_records.setup_event(
                    organization_id,
                    practice_id,
                    entity=ENTITIES[type(row).__name__],
                    entity_id=row.id,
                    change=VERBS[action.split("_", 1)[0]],
                    affected=affected,
                    by=principal,
                )
            )
    except IntegrityError:
        raise Conflict("One with that name already exists here.", field="name") from None
    return Saved(row.id, affected)


async def save(
    principal: Principal,
    practice_id: PracticeId,
    row: Entity,
    action: str,
    *,
    values: Mapping[str, object] | None = None,
    reach: stranding.Reach | None = None,
    accept: bool = False,
) -> Saved:
    """Creates ``row``, or applies ``values`` to it and audits the names of fields that changed."""
    changed = None
    if values is not None:
        changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
        for key, value in values.items():
            setattr(row, key, value)

    async def write(connection: BaseDBAsyncClient) -> None:
        await row.save(using_db=connection)

    return await commit(
        principal, practice_id, row, action, write, fields=changed, reach=reach, accept=accept
    )


async def delete(
    principal: Principal,
    practice_id: PracticeId,
    row: Entity,
    action: str,
    *,
    reach: stranding.Reach | None = None,
    accept: bool = False,
) -> Saved:
    async def write(connection: BaseDBAsyncClient) -> None:
        await diary_setup.remove(practice_id, row, connection)

    return await commit(principal, practice_id, row, action, write, reach=reach, accept=accept)
