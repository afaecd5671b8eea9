"""Setting up the diary: rooms, practitioners, appointment types and extra resources.

Administrators (``practice:write``) own these; every creation, change and archive is audited.
Rows that appointments reference are never deleted: archiving clears ``active`` (no new bookings,
history keeps its names), and is refused with CONFLICT while live future bookings depend on it.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar
from uuid import UUID

from tortoise.exceptions import IntegrityError

from db.models import AppointmentType, ExtraResource, Membership, Practitioner, Room
from db.models.base import Entity
from db.queries import schedule as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import audit
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Role, Scope
from services.principal import Principal
from services.scheduling import rules
from services.scheduling.access import staff_practice

CLINICAL_ROLES = frozenset({Role.DENTIST.value, Role.HYGIENIST.value, "THERAPIST", "NURSE"})
RESOURCE_KINDS = frozenset({"STAFF", "EQUIPMENT"})
_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
M = TypeVar("M", bound=Entity)


def _name(value: str, field: str = "name") -> str:
    text = value.strip()
    if not text or len(text) > 120:
        raise ValidationFailed("Give a name of at most 120 characters.", field=field)
    return text


def _colour(value: str | None) -> str | None:
    if value is not None and not _COLOUR.match(value):
        raise ValidationFailed("A colour is #RRGGBB.", field="colour")
    return value


async def _create(principal: Principal, model: type[M], action: str, values: dict[str, Any]) -> M:
    try:
        async with unit_of_work() as uow:
            row = await model.create(**values, using_db=uow.connection)
            uow.audit(
                audit.record_for(
                    principal,
                    action=action,
                    practice_id=values["practice_id"],
                    entity_type=model.__name__,
                    entity_id=row.id,
                )
            )
    except IntegrityError:
        raise Conflict("One with that name already exists here.", field="name") from None
    return row


async def create_room(
    principal: Principal, *, practice_id: UUID, name: str, colour: str | None
) -> Room:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    values = {"practice_id": pid, "name": _name(name), "colour": _colour(colour) or "#9e9e9e"}
    return await _create(principal, Room, "CREATE_ROOM", values)


async def create_practitioner(
    principal: Principal,
    *,
    practice_id: UUID,
    user_id: UUID,
    role: str,
    colour: str | None,
    default_room_id: UUID | None,
) -> Practitioner:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    if role not in CLINICAL_ROLES:
        raise ValidationFailed("Role is DENTIST, HYGIENIST, THERAPIST or NURSE.", field="role")
    member = await Membership.filter(user_id=user_id, practice_id=pid).prefetch_related("user")
    if not member:
        raise NotFound("Staff member")
    if default_room_id and not await Room.exists(id=default_room_id, practice_id=pid):
        raise NotFound("Room")
    values = {
        "practice_id": pid,
        "user_id": user_id,
        "display_name": member[0].user.full_name,
        "role": role,
        "colour": _colour(colour) or "#1976d2",
        "default_room_id": default_room_id,
    }
    try:
        return await _create(principal, Practitioner, "CREATE_PRACTITIONER", values)
    except Conflict:
        raise Conflict(
            "This staff member is already a practitioner here.", field="userId"
        ) from None


def _type_values(
    *,
    name: str,
    duration_minutes: int,
    buffer_after_minutes: int,
    colour: str | None,
    allowed_roles: list[str],
    restricted_procedure: bool,
    recall_kind: str | None,
) -> dict[str, Any]:
    if not 5 <= duration_minutes <= 480:
        raise ValidationFailed("Between 5 and 480 minutes.", field="durationMinutes")
    if not 0 <= buffer_after_minutes <= 120:
        raise ValidationFailed("Between 0 and 120 minutes.", field="bufferAfterMinutes")
    if any(role not in CLINICAL_ROLES for role in allowed_roles):
        raise ValidationFailed("Unknown practitioner role.", field="allowedRoles")
    if recall_kind not in (None, "EXAM", "HYGIENE"):
        raise ValidationFailed("Recall kind is EXAM or HYGIENE.", field="recallKind")
    return {
        "name": _name(name),
        "duration_minutes": duration_minutes,
        "buffer_after_minutes": buffer_after_minutes,
        "colour": _colour(colour),
        "allowed_roles": sorted(set(allowed_roles)),
        "restricted_procedure": restricted_procedure,
        "recall_kind": recall_kind,
    }


async def create_appointment_type(
    principal: Principal,
    *,
    practice_id: UUID,
    name: str,
    duration_minutes: int,
    buffer_after_minutes: int,
    colour: str | None,
    allowed_roles: list[str],
    restricted_procedure: bool,
    recall_kind: str | None,
) -> AppointmentType:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    values = {
        "practice_id": pid,
        **_type_values(
            name=name,
            duration_minutes=duration_minutes,
            buffer_after_minutes=buffer_after_minutes,
            colour=colour,
            allowed_roles=allowed_roles,
            restricted_procedure=restricted_procedure,
            recall_kind=recall_kind,
        ),
    }
    values["colour"] = values["colour"] or "#43a047"
    return await _create(principal, AppointmentType, "CREATE_APPOINTMENT_TYPE", values)


async def create_resource(
    principal: Principal, *, practice_id: UUID, name: str, kind: str
) -> ExtraResource:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    if kind not in RESOURCE_KINDS:
        raise ValidationFailed("Kind is STAFF or EQUIPMENT.", field="kind")
    values = {"practice_id": pid, "name": _name(name), "kind": kind}
    return await _create(principal, ExtraResource, "CREATE_RESOURCE", values)


async def _update(principal: Principal, row: M, action: str, values: dict[str, Any]) -> M:
    """Applies ``values`` to ``row`` and audits the names of the fields that changed."""
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    try:
        async with unit_of_work() as uow:
            await row.save(using_db=uow.connection)
            uow.audit(
                audit.record_for(
                    principal,
                    action=action,
                    practice_id=row.practice_id,  # type: ignore[attr-defined]
                    entity_type=type(row).__name__,
                    entity_id=row.id,
                    fields=changed,
                )
            )
    except IntegrityError:
        raise Conflict("One with that name already exists here.", field="name") from None
    return row


async def _refuse_if_booked(column: str, value: UUID, what: str) -> None:
    """CONFLICT while a booking that has not finished still needs ``column = value``."""
    if await queries.has_live_bookings(column, value, rules.utcnow()):
        raise Conflict(f"Future bookings still use this {what}; move or cancel them first.")


async def _archive(principal: Principal, row: M, action: str, column: str, what: str) -> M:
    await _refuse_if_booked(column, row.id, what)
    return await _update(principal, row, action, {"active": False})


async def _room_in(pid: UUID, room_id: UUID) -> Room:
    found = await queries.room(PracticeId(pid), room_id)
    if found is None:
        raise NotFound("Room")
    return found


async def _practitioner_in(pid: UUID, practitioner_id: UUID) -> Practitioner:
    found = await queries.practitioner(PracticeId(pid), practitioner_id)
    if found is None:
        raise NotFound("Practitioner")
    return found


async def _type_in(pid: UUID, type_id: UUID) -> AppointmentType:
    found = await queries.appointment_type(PracticeId(pid), type_id)
    if found is None:
        raise NotFound("Appointment type")
    return found


async def update_room(
    principal: Principal, *, practice_id: UUID, room_id: UUID, name: str, colour: str | None
) -> Room:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    room = await _room_in(pid, room_id)
    values = {"name": _name(name), "colour": _colour(colour) or room.colour}
    return await _update(principal, room, "UPDATE_ROOM", values)


async def archive_room(principal: Principal, *, practice_id: UUID, room_id: UUID) -> Room:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    room = await _room_in(pid, room_id)
    return await _archive(principal, room, "ARCHIVE_ROOM", "room_id", "room")


async def update_practitioner(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    role: str,
    colour: str | None,
    default_room_id: UUID | None,
) -> Practitioner:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await _practitioner_in(pid, practitioner_id)
    if role not in CLINICAL_ROLES:
        raise ValidationFailed("Role is DENTIST, HYGIENIST, THERAPIST or NURSE.", field="role")
    if default_room_id is not None:
        await _room_in(pid, default_room_id)
    values = {
        "role": role,
        "colour": _colour(colour) or found.colour,
        "default_room_id": default_room_id,
    }
    return await _update(principal, found, "UPDATE_PRACTITIONER", values)


async def deactivate_practitioner(
    principal: Principal, *, practice_id: UUID, practitioner_id: UUID
) -> Practitioner:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await _practitioner_in(pid, practitioner_id)
    return await _archive(
        principal, found, "DEACTIVATE_PRACTITIONER", "practitioner_id", "practitioner"
    )


async def update_appointment_type(
    principal: Principal,
    *,
    practice_id: UUID,
    appointment_type_id: UUID,
    name: str,
    duration_minutes: int,
    buffer_after_minutes: int,
    colour: str | None,
    allowed_roles: list[str],
    restricted_procedure: bool,
    recall_kind: str | None,
) -> AppointmentType:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await _type_in(pid, appointment_type_id)
    values = _type_values(
        name=name,
        duration_minutes=duration_minutes,
        buffer_after_minutes=buffer_after_minutes,
        colour=colour,
        allowed_roles=allowed_roles,
        restricted_procedure=restricted_procedure,
        recall_kind=recall_kind,
    )
    values["colour"] = values["colour"] or found.colour
    return await _update(principal, found, "UPDATE_APPOINTMENT_TYPE", values)


async def archive_appointment_type(
    principal: Principal, *, practice_id: UUID, appointment_type_id: UUID
) -> AppointmentType:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await _type_in(pid, appointment_type_id)
    return await _archive(
        principal, found, "ARCHIVE_APPOINTMENT_TYPE", "appointment_type_id", "appointment type"
    )
