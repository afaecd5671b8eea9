"""The appointment status workflow: one table of allowed moves, the times each move keeps,
and what completing an exam or hygiene visit sets in motion (the next recall)."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from db.queries import diary_setup
from db.queries import messages as message_queries
from db.uow import unit_of_work
from services.billing import deposits
from services.errors import Conflict, ValidationFailed
from services.messaging import patient_messages
from services.policy import Scope
from services.principal import Principal
from services.scheduling import booking, change_records, history, recalls, rules
from services.scheduling.diary_access import diary as open_diary


class Status(StrEnum):
    BOOKED = "BOOKED"
    CONFIRMED = "CONFIRMED"
    ARRIVED = "ARRIVED"
    IN_SURGERY = "IN_SURGERY"
    COMPLETED = "COMPLETED"
    CANCELLED = "CANCELLED"
    DID_NOT_ATTEND = "DID_NOT_ATTEND"


S = Status
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.BOOKED: frozenset({S.CONFIRMED, S.CANCELLED, S.DID_NOT_ATTEND}),
    S.CONFIRMED: frozenset({S.ARRIVED, S.CANCELLED, S.DID_NOT_ATTEND}),
    S.ARRIVED: frozenset({S.IN_SURGERY}),
    S.IN_SURGERY: frozenset({S.COMPLETED}),
    S.COMPLETED: frozenset(),
    S.CANCELLED: frozenset(),
    S.DID_NOT_ATTEND: frozenset(),
}
# The time column each arrival in a status stamps.
STAMPS = {
    S.CONFIRMED: "confirmed_at",
    S.ARRIVED: "arrived_at",
    S.IN_SURGERY: "seated_at",
    S.COMPLETED: "completed_at",
}


def allowed(current: Status, target: Status) -> bool:
    return target in TRANSITIONS[current]


async def set_status(principal: Principal, *, appointment_id: UUID, status: Status) -> object:
    if status is S.CANCELLED:
        raise ValidationFailed(
            "Use cancelAppointment to cancel (it needs a reason).", field="status"
        )
    practice_id = await booking.practice_of(principal, appointment_id)
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_WRITE)
    now = rules.utcnow()
    async with unit_of_work() as uow:
        appointment = await booking._locked(uow, diary.practice_id, appointment_id)
        current = Status(appointment.status)
        if not allowed(current, status):
            raise Conflict(
                f"An appointment cannot go from {current.value} to {status.value}.",
                field="status",
            )
        if status is S.DID_NOT_ATTEND and appointment.starts_at > now:
            raise ValidationFailed(
                "A patient can only miss an appointment once it has started.", field="status"
            )
        before = change_records.snapshot(appointment)
        appointment.status = status.value
        if status in STAMPS:
            setattr(appointment, STAMPS[status], now)
        await history.save_change(uow, principal, appointment, kind="STATUS", before=before)
        if status is S.DID_NOT_ATTEND:
            await deposits.after_missed(uow, principal, appointment)
        if status is S.COMPLETED:
            type_id: UUID = appointment.appointment_type_id  # type: ignore[assignment]
            kind = await diary_setup.appointment_type(diary.practice_id, type_id, uow.connection)
            if kind.recall_kind:
                await recalls.after_visit(uow, principal, diary, appointment, kind.recall_kind, now)
            else:  # a treatment, not a routine check: the patient gets its care instructions
                patient = await message_queries.appointment_patient(appointment, uow.connection)
                if patient is not None:
                    await patient_messages.care_instructions(uow.connection, appointment, patient)
        uow.emit(
            change_records.appointment_event(
                diary, appointment, "appointment.status_changed", before, by=principal
            )
        )
        uow.audit(
            change_records.audit_change(
                principal, diary, appointment, f"SET_APPOINTMENT_STATUS {status.value}"
            )
        )
    return appointment
