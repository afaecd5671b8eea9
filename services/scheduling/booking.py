"""Booking, rescheduling and cancelling: one unit of work each, with the conflict rule, a
history row, an outbox event and an audit record committed together.

Bookable time is checked twice: before the transaction (cheap refusals, the session's room)
and again inside it under the diary lock, so a set-up change racing the booking either commits
first and is seen, or waits and then finds the booking (``diary_lock``, ``stranding``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.crypto import FieldContext
from db.models import Appointment, AppointmentChange, AppointmentResource
from db.queries import appointments as appointment_queries
from db.queries import holds as hold_queries
from db.queries import messages as message_queries
from db.queries import occupancy as occupancy_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import runtime
from services.billing import deposits
from services.errors import Conflict, NotFound, ValidationFailed
from services.messaging import patient_messages
from services.policy import Scope
from services.principal import Principal
from services.scheduling import (
    booking_rules,
    change_records,
    diary_lock,
    history,
    occupancy,
    rules,
    waitlist,
)
from services.scheduling.diary_access import Diary
from services.scheduling.diary_access import diary as open_diary
from services.scheduling.kinds import CancelCode

SOURCES = frozenset({"RECEPTION", "PORTAL", "PARTNER"})
CANCELLABLE = frozenset({"BOOKED", "CONFIRMED"})


@dataclass(frozen=True, slots=True)
class BookingRequest:
    practice_id: UUID
    patient_id: UUID
    practitioner_id: UUID
    appointment_type_id: UUID
    starts_at: datetime
    ends_at: datetime | None = None
    room_id: UUID | None = None
    resource_ids: list[UUID] = field(default_factory=list)
    reception_notes: str | None = None
    clinical_note: str | None = None
    hold_id: UUID | None = None


def clinical_context(appointment: Appointment) -> FieldContext:
    return notes_context(appointment, "clinical_note")


def notes_context(appointment: Appointment, column: str) -> FieldContext:
    """Appointment notes are bound to practice, table, column and row like patient fields."""
    return FieldContext(str(appointment.practice_id), "appointment", column, str(appointment.id))


def _source(principal: Principal) -> str:
    return "PARTNER" if principal.client_id else "PORTAL" if principal.is_patient else "RECEPTION"


def _notes(text: str | None, field_name: str, limit: int = 2000) -> str | None:
    value = (text or "").strip() or None
    if value is not None and len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field_name)
    return value


async def book(
    principal: Principal, *, request: BookingRequest, opened: Diary | None = None
) -> Appointment:
    """Staff book with ``schedule:write``; ``opened``: a diary the caller opened under its own
    scope and checks (the portal's self-service)."""
    diary = opened or await open_diary(principal, request.practice_id, Scope.SCHEDULE_WRITE)
    now = rules.utcnow()
    patient = await rules.patient_in(diary, request.patient_id)
    parts = await rules.resolve(
        diary,
        practitioner_id=request.practitioner_id,
        room_id=request.room_id,
        type_id=request.appointment_type_id,
        starts_at=request.starts_at,
        ends_at=request.ends_at,
        resource_ids=request.resource_ids,
        now=now,
    )
    reception = _notes(request.reception_notes, "receptionNotes")
    clinical = _notes(request.clinical_note, "clinicalNote")
    passed = await booking_rules.enforce(
        principal,
        diary,
        parts.type,
        practitioner_id=parts.practitioner.id,
        starts_at=parts.starts_at,
        patient=patient,
    )
    claim = occupancy.Claim.of(
        start=parts.starts_at,
        end=parts.ends_at,
        practitioner_id=parts.practitioner.id,
        room_id=parts.room.id,
        patient_id=patient.id,
        resource_ids=[r.id for r in parts.resources],
        buffer_minutes=parts.type.buffer_after_minutes,
    )
    appointment = Appointment(
        id=uuid4(),
        practice_id=diary.practice_id,
        patient_id=patient.id,
        practitioner_id=parts.practitioner.id,
        room_id=parts.room.id,
        appointment_type_id=parts.type.id,
        starts_at=parts.starts_at,
        ends_at=parts.ends_at,
        source=_source(principal),
        booked_by_id=principal.user_id,
        age_checked_years=passed.age_checked_years,
    )
    appointment.reception_notes = runtime.keyring().encrypt_optional(  # type: ignore[assignment]
        reception, notes_context(appointment, "reception_notes")
    )
    if clinical is not None:
        appointment.clinical_note = runtime.keyring().encrypt(
            clinical, clinical_context(appointment)
        )
    try:
        async with unit_of_work() as uow:
            await diary_lock.for_booking(uow.connection, diary.practice_id)
            await rules.recheck(diary, parts, uow.connection)
            await occupancy.release_expired(uow, diary.organization_id, diary.practice_id, now)
            if request.hold_id is not None:
                await _use_hold(uow, request.hold_id, diary.practice_id, claim, now)
            await occupancy.check(uow, claim)
            await appointment.save(using_db=uow.connection)
            await occupancy.occupy(uow, diary.practice_id, claim, appointment_id=appointment.id)
            if parts.resources:
                await AppointmentResource.bulk_create(
                    [
                        AppointmentResource(appointment_id=appointment.id, resource_id=r.id)
                        for r in parts.resources
                    ],
                    using_db=uow.connection,
                )
            await AppointmentChange.create(
                appointment_id=appointment.id,
                kind="BOOKED",
                changed_by_id=principal.user_id,
                after=change_records.snapshot(appointment),
                using_db=uow.connection,
            )
            uow.emit(
                change_records.appointment_event(
                    diary, appointment, "appointment.booked", by=principal
                )
            )
            uow.audit(
                change_records.audit_change(principal, diary, appointment, "BOOK_APPOINTMENT")
            )
            if passed.age_checked_years is not None:
                uow.audit(change_records.audit_change(principal, diary, appointment, "AGE_CHECK"))
            await patient_messages.after_booking(
                uow.connection, appointment, patient, diary.zone, now
            )
    except IntegrityError as error:
        raise occupancy.from_integrity(error) or error from None
    return appointment


async def _use_hold(
    uow: UnitOfWork, hold_id: UUID, practice_id: PracticeId, claim: occupancy.Claim, now: datetime
) -> None:
    hold = await hold_queries.hold(practice_id, hold_id, uow.connection)
    if hold is None:
        raise NotFound("Hold")
    if hold.status != "ACTIVE" or hold.expires_at <= now:
        raise Conflict("The hold has expired or was released.", field="holdId")
    practitioner_key = f"practitioner:{hold.practitioner_id}"
    span = claim.spans.get(practitioner_key)
    if span is None or not (hold.starts_at <= span[0] and claim.start < hold.ends_at):
        raise ValidationFailed("The booking does not match the held slot.", field="holdId")
    await occupancy_queries.free_holds(practice_id, [hold.id], uow.connection)
    await hold_queries.use(practice_id, hold.id, uow.connection)


async def _locked(uow: UnitOfWork, practice_id: PracticeId, appointment_id: UUID) -> Appointment:
    found = await appointment_queries.locked(practice_id, appointment_id, uow.connection)
    if found is None:
        raise NotFound("Appointment")
    return found


async def practice_of(principal: Principal, appointment_id: UUID) -> UUID:
    """The appointment's practice, if the principal may write that diary (else NOT_FOUND)."""
    allowed = principal.practices_with(Scope.SCHEDULE_WRITE)
    if principal.is_patient or not allowed:
        raise NotFound("Appointment")
    found = await appointment_queries.practice_of(allowed, appointment_id)
    if found is None:
        raise NotFound("Appointment")
    return found


async def reschedule(
    principal: Principal,
    *,
    appointment_id: UUID,
    starts_at: datetime,
    ends_at: datetime | None = None,
    practitioner_id: UUID | None = None,
    room_id: UUID | None = None,
) -> Appointment:
    diary = await open_diary(
        principal, await practice_of(principal, appointment_id), Scope.SCHEDULE_WRITE
    )
    current = await appointment_queries.in_practice(diary.practice_id, appointment_id)
    if current is None:
        raise NotFound("Appointment")
    if current.status not in CANCELLABLE:
        raise Conflict(
            f"A {current.status} appointment cannot be rescheduled.", field="appointmentId"
        )
    length = current.ends_at - current.starts_at
    now = rules.utcnow()
    parts = await rules.resolve(
        diary,
        practitioner_id=practitioner_id or current.practitioner_id,  # type: ignore[arg-type]
        room_id=room_id or (None if practitioner_id else current.room_id),  # type: ignore[arg-type]
        type_id=current.appointment_type_id,  # type: ignore[arg-type]
        starts_at=starts_at,
        ends_at=ends_at or (starts_at + length if starts_at.tzinfo else None),
        resource_ids=await appointment_queries.resource_ids(diary.practice_id, current.id),
        now=now,
    )
    await booking_rules.enforce(
        principal,
        diary,
        parts.type,
        practitioner_id=parts.practitioner.id,
        starts_at=parts.starts_at,
        patient_id=current.patient_id,  # type: ignore[arg-type]
    )
    claim = occupancy.Claim.of(
        start=parts.starts_at,
        end=parts.ends_at,
        practitioner_id=parts.practitioner.id,
        room_id=parts.room.id,
        patient_id=current.patient_id,  # type: ignore[arg-type]
        resource_ids=[r.id for r in parts.resources],
        buffer_minutes=parts.type.buffer_after_minutes,
    )
    try:
        async with unit_of_work() as uow:
            await diary_lock.for_booking(uow.connection, diary.practice_id)
            await rules.recheck(diary, parts, uow.connection)
            appointment = await _locked(uow, diary.practice_id, appointment_id)
            if appointment.status not in CANCELLABLE:
                raise Conflict(
                    f"A {appointment.status} appointment cannot be rescheduled.",
                    field="appointmentId",
                )
            before = change_records.snapshot(appointment)
            await occupancy.release_expired(uow, diary.organization_id, diary.practice_id, now)
            await occupancy.check(uow, claim, ignore_appointment=appointment.id)
            await occupancy.vacate(uow, diary.practice_id, appointment_id=appointment.id)
            appointment.starts_at, appointment.ends_at = parts.starts_at, parts.ends_at
            appointment.practitioner_id = parts.practitioner.id  # type: ignore[assignment]
            appointment.room_id = parts.room.id  # type: ignore[assignment]
            appointment.status, appointment.confirmed_at = "BOOKED", None
            await history.save_change(
                uow, principal, appointment, kind="RESCHEDULED", before=before
            )
            await occupancy.occupy(uow, diary.practice_id, claim, appointment_id=appointment.id)
            uow.emit(
                change_records.appointment_event(
                    diary, appointment, "appointment.rescheduled", before, by=principal
                )
            )
            uow.audit(
                change_records.audit_change(principal, diary, appointment, "RESCHEDULE_APPOINTMENT")
            )
            await waitlist.offer(uow, diary, before)
            patient = await message_queries.appointment_patient(appointment, uow.connection)
            if patient is not None:  # the old reminder sees the new time and stays unsent
                await patient_messages.after_booking(
                    uow.connection, appointment, patient, diary.zone, now, confirm=False
                )
    except IntegrityError as error:
        raise occupancy.from_integrity(error) or error from None
    return appointment


async def cancel(
    principal: Principal,
    *,
    appointment_id: UUID,
    reason: str,
    code: CancelCode | None = None,
    opened: Diary | None = None,
) -> Appointment:
    """Staff cancel with ``schedule:write``; ``opened`` as for :func:`book` (the caller has
    checked the appointment is in it and theirs). ``code`` is the reason as reports count it
    (none: counted as uncoded)."""
    diary = opened or await open_diary(
        principal, await practice_of(principal, appointment_id), Scope.SCHEDULE_WRITE
    )
    text = _notes(reason, "reason", limit=300)
    if text is None:
        raise ValidationFailed("Give a reason for the cancellation.", field="reason")
    now = rules.utcnow()
    async with unit_of_work() as uow:
        appointment = await _locked(uow, diary.practice_id, appointment_id)
        if appointment.status not in CANCELLABLE:
            raise Conflict(
                f"A {appointment.status} appointment cannot be cancelled.", field="appointmentId"
            )
        before = change_records.snapshot(appointment)
        late = appointment.starts_at - now < timedelta(hours=diary.settings.late_cancel_hours)
        appointment.status, appointment.cancelled_at = "CANCELLED", now
        appointment.cancelled_by_id, appointment.cancel_reason = principal.user_id, text
        appointment.cancel_code = None if code is None else CancelCode(code).value
        appointment.late_cancellation = late
        await history.save_change(uow, principal, appointment, kind="STATUS", before=before)
        await occupancy.vacate(uow, diary.practice_id, appointment_id=appointment.id)
        await deposits.after_cancellation(uow, principal, appointment)
        uow.emit(
            change_records.appointment_event(
                diary, appointment, "appointment.cancelled", before, by=principal
            )
        )
        uow.audit(change_records.audit_change(principal, diary, appointment, "CANCEL_APPOINTMENT"))
        await waitlist.offer(uow, diary, before)
    return appointment
