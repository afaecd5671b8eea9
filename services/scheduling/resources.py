"""Setting up the diary: rooms, appointment types and extra resources (a nurse, equipment).

Administrators (``practice:write``) own these; every creation, change, archive and reactivation
is audited and announced to open boards (``services.scheduling.setup``). Rows that appointments
reference are never deleted: archiving clears ``active`` (no new bookings, history keeps its
names), and is refused with CONFLICT while live future bookings depend on it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import AppointmentType, ExtraResource, Room
from db.models.base import Entity
from db.models.scheduling import LONGEST_BUFFER_MINUTES
from db.queries import owned
from db.queries import schedule as queries
from db.tenancy import PracticeId
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import diary_access, diary_lock, rules, setup
from services.scheduling.diary_access import staff_practice
from services.scheduling.kinds import AestheticKind, PractitionerRole, RecallKind, ResourceKind
from services.scheduling.setup import Saved

CLINICAL_ROLES = frozenset(r.value for r in PractitionerRole)
RESOURCE_KINDS = frozenset(k.value for k in ResourceKind)
MAX_COOLING_OFF_HOURS = 2160
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
M = TypeVar("M", bound=Entity)


def clean_name(value: str, field: str = "name") -> str:
    text = value.strip()
    if not text or len(text) > 120:
        raise ValidationFailed("Give a name of at most 120 characters.", field=field)
    return text


def clean_colour(value: str | None) -> str | None:
    if value is not None and not _COLOUR.match(value):
        raise ValidationFailed("A colour is #RRGGBB.", field="colour")
    return value


def _kind(value: str) -> str:
    if value not in RESOURCE_KINDS:
        raise ValidationFailed("Kind is STAFF or EQUIPMENT.", field="kind")
    return str(value)  # a ResourceKind member is stored as its plain value


async def row_in(model: type[M], pid: PracticeId, row_id: UUID, what: str) -> M:
    """The practice's row; another practice's id answers like a random one."""
    found = await owned.row(model, {pid}, row_id)
    if found is None:
        raise NotFound(what)
    return found


async def archive(
    principal: Principal, pid: PracticeId, row: Any, action: str, column: str, what: str
) -> Saved:
    """Clears ``active``; CONFLICT while a booking that has not finished still uses the row.

    Checked again inside the transaction under the exclusive diary lock, so a booking racing
    the archive either commits first and is found, or waits and finds the row archived.
    """
    if not row.active:
        return Saved(row.id)  # already archived: nothing to change
    now = rules.utcnow()
    refused = Conflict(f"Future bookings still use this {what}; move or cancel them first.")
    if await queries.has_live_bookings(column, row.id, now):
        raise refused
    await diary_access.settings_for(pid)  # the row SQLite's diary lock is taken on
    row.active = False

    async def write(connection: BaseDBAsyncClient) -> None:
        await diary_lock.for_setup(connection, pid)
        if await queries.has_live_bookings(column, row.id, now, connection):
            raise refused
        await row.save(using_db=connection)

    return await setup.commit(principal, pid, row, action, write, fields=["active"])


async def reactivate(principal: Principal, pid: PracticeId, row: Any, action: str) -> Saved:
    """Sets ``active`` again: bookable from now on."""
    if row.active:
        return Saved(row.id)  # already active: nothing to change
    return await setup.save(principal, pid, row, action, values={"active": True})


async def create_room(
    principal: Principal, *, practice_id: UUID, name: str, colour: str | None
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = Room(practice_id=pid, name=clean_name(name), colour=clean_colour(colour) or "#9e9e9e")
    return await setup.save(principal, pid, row, "CREATE_ROOM")


async def update_room(
    principal: Principal, *, practice_id: UUID, room_id: UUID, name: str, colour: str | None
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    room = await row_in(Room, pid, room_id, "Room")
    values = {"name": clean_name(name), "colour": clean_colour(colour) or room.colour}
    return await setup.save(principal, pid, room, "UPDATE_ROOM", values=values)


async def archive_room(principal: Principal, *, practice_id: UUID, room_id: UUID) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    room = await row_in(Room, pid, room_id, "Room")
    return await archive(principal, pid, room, "ARCHIVE_ROOM", "room_id", "room")


async def reactivate_room(principal: Principal, *, practice_id: UUID, room_id: UUID) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    room = await row_in(Room, pid, room_id, "Room")
    return await reactivate(principal, pid, room, "REACTIVATE_ROOM")


def type_values(
    *,
    name: str,
    duration_minutes: int,
    buffer_after_minutes: int,
    colour: str | None,
    allowed_roles: list[str],
    restricted_procedure: bool,
    recall_kind: str | None,
    online_bookable: bool = False,
    aesthetic_kind: str | None = None,
    cooling_off_hours: int = 0,
    requires_registration: bool = False,
) -> dict[str, Any]:
    """An appointment type's editable values, checked (``colour`` may be None: keep/default)."""
    if not 5 <= duration_minutes <= 480:
        raise ValidationFailed("Between 5 and 480 minutes.", field="durationMinutes")
    if not 0 <= buffer_after_minutes <= LONGEST_BUFFER_MINUTES:
        raise ValidationFailed(
            f"Between 0 and {LONGEST_BUFFER_MINUTES} minutes.", field="bufferAfterMinutes"
        )
    if any(role not in CLINICAL_ROLES for role in allowed_roles):
        raise ValidationFailed("Unknown practitioner role.", field="allowedRoles")
    if recall_kind is not None and recall_kind not in RecallKind.__members__:
        raise ValidationFailed("Recall kind is EXAM or HYGIENE.", field="recallKind")
    if aesthetic_kind is not None and aesthetic_kind not in AestheticKind.__members__:
        raise ValidationFailed("Unknown aesthetic kind.", field="aestheticKind")
    if not 0 <= cooling_off_hours <= MAX_COOLING_OFF_HOURS:
        raise ValidationFailed(
            f"Between 0 and {MAX_COOLING_OFF_HOURS} hours (90 days).", field="coolingOffHours"
        )
    if cooling_off_hours and aesthetic_kind is None:
        raise ValidationFailed(
            "A cooling-off period needs the aesthetic kind whose consultation consent starts it.",
            field="coolingOffHours",
        )
    return {
        "name": clean_name(name),
        "duration_minutes": duration_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "colour": clean_colour(colour),
        "allowed_roles": sorted({str(role) for role in allowed_roles}),
        "restricted_procedure": restricted_procedure,
        "recall_kind": None if recall_kind is None else str(recall_kind),
        "online_bookable": online_bookable,
        "aesthetic_kind": None if aesthetic_kind is None else str(aesthetic_kind),
        "cooling_off_hours": cooling_off_hours or None,
        "requires_registration": requires_registration,
    }


async def create_appointment_type(
    principal: Principal, *, practice_id: UUID, values: dict[str, Any]
) -> Saved:
    """``values`` as built by :func:`type_values`."""
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = AppointmentType(practice_id=pid, **{**values, "colour": values["colour"] or "#43a047"})
    return await setup.save(principal, pid, row, "CREATE_APPOINTMENT_TYPE")


async def update_appointment_type(
    principal: Principal, *, practice_id: UUID, appointment_type_id: UUID, values: dict[str, Any]
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(AppointmentType, pid, appointment_type_id, "Appointment type")
    values = {**values, "colour": values["colour"] or found.colour}
    return await setup.save(principal, pid, found, "UPDATE_APPOINTMENT_TYPE", values=values)


async def archive_appointment_type(
    principal: Principal, *, practice_id: UUID, appointment_type_id: UUID
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(AppointmentType, pid, appointment_type_id, "Appointment type")
    return await archive(
        principal, pid, found, "ARCHIVE_APPOINTMENT_TYPE", "appointment_type_id", "type"
    )


async def reactivate_appointment_type(
    principal: Principal, *, practice_id: UUID, appointment_type_id: UUID
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(AppointmentType, pid, appointment_type_id, "Appointment type")
    return await reactivate(principal, pid, found, "REACTIVATE_APPOINTMENT_TYPE")


async def create_resource(
    principal: Principal, *, practice_id: UUID, name: str, kind: str
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = ExtraResource(practice_id=pid, name=clean_name(name), kind=_kind(kind))
    return await setup.save(principal, pid, row, "CREATE_RESOURCE")


async def update_resource(
    principal: Principal, *, practice_id: UUID, resource_id: UUID, name: str, kind: str
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(ExtraResource, pid, resource_id, "Resource")
    values = {"name": clean_name(name), "kind": _kind(kind)}
    return await setup.save(principal, pid, found, "UPDATE_RESOURCE", values=values)


async def archive_resource(principal: Principal, *, practice_id: UUID, resource_id: UUID) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(ExtraResource, pid, resource_id, "Resource")
    column = "extra_resources__resource_id"
    return await archive(principal, pid, found, "ARCHIVE_RESOURCE", column, "resource")


async def reactivate_resource(
    principal: Principal, *, practice_id: UUID, resource_id: UUID
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(ExtraResource, pid, resource_id, "Resource")
    return await reactivate(principal, pid, found, "REACTIVATE_RESOURCE")
