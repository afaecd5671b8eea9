"""Portal self-service: a patient (or a guardian for a child they hold access to) books one of
the free starts ``availableSlots`` offers, for an appointment type the practice offers online,
and cancels their own bookings.

Only who may do it is decided here (``schedule:book_own``, their own patient ids, online types,
a listed free start); the booking itself is reception's path (rules, diary lock, conflict rule,
history, event, audit), with source PORTAL. Anything not theirs answers NOT_FOUND, like a random
id.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from db.models import Appointment, AppointmentType
from db.queries import schedule as queries
from services.errors import Conflict, NotFound
from services.policy import Scope
from services.principal import Principal
from services.scheduling import booking, slots
from services.scheduling.diary_access import aware
from services.scheduling.diary_access import diary as open_diary
from services.scheduling.kinds import CancelCode

SCOPE = Scope.SCHEDULE_BOOK_OWN


async def book_own(
    principal: Principal,
    *,
    practice_id: UUID,
    patient_id: UUID,
    practitioner_id: UUID,
    appointment_type_id: UUID,
    starts_at: datetime,
) -> Appointment:
    if not principal.is_patient or patient_id not in principal.patient_ids:
        raise NotFound("Patient")
    diary = await open_diary(principal, practice_id, SCOPE, patients_too=True)
    kind = await queries.appointment_type(diary.practice_id, appointment_type_id)
    if kind is None or not kind.active or not kind.online_bookable:
        raise NotFound("Appointment type")
    start = aware(starts_at, "startsAt")
    offered = await slots.available(
        principal,
        practice_id=diary.practice_id,
        appointment_type_id=kind.id,
        practitioner_id=practitioner_id,
        start=start,
        end=start + timedelta(minutes=1),
    )
    slot = next((s for s in offered if s.starts_at == start), None)
    if slot is None:
        raise Conflict("That time is not free; choose an available slot.", field="startsAt")
    request = booking.BookingRequest(
        practice_id=diary.practice_id,
        patient_id=patient_id,
        practitioner_id=slot.practitioner_id,
        appointment_type_id=kind.id,
        starts_at=slot.starts_at,
        room_id=slot.room_id,
    )
    return await booking.book(principal, request=request, opened=diary)


async def cancel_own(principal: Principal, *, appointment_id: UUID, reason: str) -> Appointment:
    allowed = principal.practices_with(SCOPE)
    found = await queries.appointment(allowed, appointment_id) if principal.is_patient else None
    if found is None or UUID(str(found.patient_id)) not in principal.patient_ids:
        raise NotFound("Appointment")
    diary = await open_diary(principal, found.practice_id, SCOPE, patients_too=True)  # type: ignore[arg-type]
    return await booking.cancel(
        principal,
        appointment_id=appointment_id,
        reason=reason,
        code=CancelCode.PATIENT_REQUEST,  # the patient's own choice, whatever the words
        opened=diary,
    )


async def online_types(principal: Principal, *, practice_id: UUID) -> list[AppointmentType]:
    """Active types offered online; staff and the practice's patients may ask."""
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_READ, patients_too=True)
    return [
        kind
        for kind in await queries.appointment_types(diary.practice_id)
        if kind.active and kind.online_bookable
    ]
