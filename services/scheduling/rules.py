"""Checks a proposed appointment must pass before it touches the diary: the people and things
exist in this practice, the type suits the practitioner, the time is not in the past, and it
sits inside a working session. Rules about who it is for and what it is (the age rule, the
cooling-off period, the practitioner's registration) are ``booking_rules``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import AppointmentType, ExtraResource, Patient, Practitioner, Room
from db.models.appointments import LONGEST_APPOINTMENT
from db.queries import diary_setup
from db.queries import patients as patient_queries
from db.queries import schedule as queries
from services.errors import Conflict, NotFound, ValidationFailed
from services.scheduling import availability
from services.scheduling.diary_access import Diary, aware


@dataclass(frozen=True, slots=True)
class Parts:
    practitioner: Practitioner
    room: Room
    type: AppointmentType
    starts_at: datetime
    ends_at: datetime
    resources: list[ExtraResource]


async def patient_in(diary: Diary, patient_id: UUID) -> Patient:
    found = await patient_queries.patient({diary.practice_id}, patient_id)
    if found is None or found.status in ("MERGED", "DECEASED"):
        raise NotFound("Patient")
    return found


async def resolve(
    diary: Diary,
    *,
    practitioner_id: UUID,
    room_id: UUID | None,
    type_id: UUID,
    starts_at: datetime,
    ends_at: datetime | None,
    resource_ids: list[UUID],
    now: datetime,
) -> Parts:
    practitioner = await queries.practitioner(diary.practice_id, practitioner_id)
    if practitioner is None or not practitioner.active:
        raise NotFound("Practitioner")
    kind = await queries.appointment_type(diary.practice_id, type_id)
    if kind is None or not kind.active:
        raise NotFound("Appointment type")
    if kind.allowed_roles and practitioner.role not in kind.allowed_roles:
        raise ValidationFailed(
            "This practitioner's role may not perform this appointment type.",
            field="practitionerId",
        )
    start = aware(starts_at, "startsAt")
    end = aware(ends_at, "endsAt") if ends_at else start + timedelta(minutes=kind.duration_minutes)
    if end <= start:
        raise ValidationFailed("The end must be after the start.", field="endsAt")
    if end - start > LONGEST_APPOINTMENT:
        hours = LONGEST_APPOINTMENT // timedelta(hours=1)
        raise ValidationFailed(f"An appointment lasts at most {hours} hours.", field="endsAt")
    if start < now and not diary.settings.allow_past_booking:
        raise ValidationFailed("This practice does not book times in the past.", field="startsAt")
    resources = await queries.extra_resources(diary.practice_id, set(resource_ids))
    if len(resources) != len(set(resource_ids)):
        raise NotFound("Resource")
    window = await _session_for(diary, practitioner, start, end)
    room = await _room(diary, room_id or window.room_id or _default_room(practitioner))
    return Parts(practitioner, room, kind, start, end, resources)


def _default_room(practitioner: Practitioner) -> UUID | None:
    return practitioner.default_room_id  # type: ignore[return-value]


async def _room(diary: Diary, room_id: UUID | None) -> Room:
    if room_id is None:
        raise ValidationFailed("Choose a room: the session names none.", field="roomId")
    room = await queries.room(diary.practice_id, room_id)
    if room is None or not room.active:
        raise NotFound("Room")
    return room


async def _session_for(
    diary: Diary, practitioner: Practitioner, start: datetime, end: datetime
) -> availability.Window:
    return await bookable(diary, practitioner.id, start, end)


async def bookable(
    diary: Diary,
    practitioner_id: UUID,
    start: datetime,
    end: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> availability.Window:
    """The session window containing [start, end), else CONFLICT saying why not.

    Writers call it again on their transaction's ``connection`` after taking the diary lock
    (``diary_lock``): the first look, before the transaction, may predate a set-up change.
    """
    found = await availability.windows(
        diary.practice_id, [practitioner_id], start, end, diary.zone, connection
    )
    window = availability.containing(found, start, end)
    if window is not None:
        return window
    if await queries.closures(diary.practice_id, start, end, connection):
        raise Conflict("The practice is closed at that time.", field="startsAt")
    if await queries.absences([practitioner_id], start, end, connection):
        raise Conflict("The practitioner is absent at that time.", field="startsAt")
    raise Conflict("That time is outside the practitioner's working sessions.", field="startsAt")


async def recheck(diary: Diary, parts: Parts, connection: BaseDBAsyncClient) -> None:
    """Inside a booking's transaction, after the diary lock: the time is still bookable and
    nothing it uses has been archived since the first look (set-up changes that take time away
    or archive take the lock exclusively, see ``diary_lock``)."""
    await bookable(diary, parts.practitioner.id, parts.starts_at, parts.ends_at, connection)
    used = (
        (Practitioner, parts.practitioner.id, "Practitioner"),
        (Room, parts.room.id, "Room"),
        (AppointmentType, parts.type.id, "Appointment type"),
    )
    for model, row_id, what in used:
        if not await diary_setup.still_active(model, diary.practice_id, row_id, connection):
            raise NotFound(what)
    if parts.resources:
        ids = [r.id for r in parts.resources]
        live = await diary_setup.active_count(ExtraResource, diary.practice_id, ids, connection)
        if live != len(ids):
            raise NotFound("Resource")


def utcnow() -> datetime:
    return datetime.now(UTC)
