"""A patient's request for a call, shown on the appointment the reception board shows.

An SMS reply that is not a usable YES (``services.messaging.inbound``) flags the appointment it
answers in the same unit of work as the recorded reply: the appointment's own columns say when
and why (a code, never the text of the SMS: that stays in the encrypted message row, for those
who may read messages), and an ``appointment.call_requested`` outbox event reaches every board
of the practice like any other change of the appointment (live, and replayed with ``since``).

The flag is a to-do for reception, so it ends when someone deals with it: staff clear it with
:func:`resolve` after the call (audited, ``appointment.call_resolved``), and any change made to
the appointment itself clears it too (a status change, including staff confirming after the
call, the patient arriving or a later YES; a reschedule; a cancellation: see
``services.scheduling.history.save_change``), whose own event then shows it cleared. The
columns live on the appointment row so the board still reads every appointment in one
statement.
"""

from __future__ import annotations

import re
from datetime import datetime
from uuid import UUID

from db.models import Appointment
from db.queries import appointments as appointment_queries
from db.uow import UnitOfWork, unit_of_work
from services.policy import Scope
from services.principal import Principal
from services.scheduling import booking, change_records
from services.scheduling.diary_access import Diary
from services.scheduling.diary_access import diary as open_diary
from services.scheduling.kinds import CallReason

REQUESTED = "appointment.call_requested"
RESOLVED = "appointment.call_resolved"
COLUMNS = ("call_requested_at", "call_reason", "updated_at")
_NO = re.compile(r"^\s*(no|n|nope|cancel)\b", re.IGNORECASE)


def reason_of(body: str, *, said_yes: bool) -> CallReason:
    """The reason a reply that did not confirm the appointment needs a call."""
    if said_yes:
        return CallReason.NOT_CONFIRMABLE
    return CallReason.DECLINED if _NO.match(body) else CallReason.UNCLEAR


def clear(appointment: Appointment) -> bool:
    """Clears a waiting request on ``appointment`` (the caller saves it); True if one was."""
    waiting = appointment.call_requested_at is not None
    appointment.call_requested_at, appointment.call_reason = None, None
    return waiting


async def request(
    uow: UnitOfWork,
    principal: Principal,
    diary: Diary,
    appointment_id: UUID,
    *,
    reason: CallReason,
    at: datetime,
) -> bool:
    """Flags the appointment inside ``uow`` (the reply's own unit of work), with its event
    and audit row; False when the appointment is not in the practice any more."""
    appointment = await appointment_queries.locked(
        diary.practice_id, appointment_id, uow.connection
    )
    if appointment is None:
        return False
    before = change_records.snapshot(appointment)
    appointment.call_requested_at, appointment.call_reason = at, reason.value
    await appointment.save(using_db=uow.connection, update_fields=list(COLUMNS))
    uow.emit(change_records.appointment_event(diary, appointment, REQUESTED, before, by=principal))
    uow.audit(change_records.audit_change(principal, diary, appointment, "REQUEST_CALL"))
    return True


async def resolve(principal: Principal, *, appointment_id: UUID) -> Appointment:
    """Staff (``schedule:write`` in the appointment's practice; anything else is NOT_FOUND)
    clear a call request. Clearing one that is not waiting changes nothing and records
    nothing, so a second click or a retried request is harmless."""
    practice_id = await booking.practice_of(principal, appointment_id)
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_WRITE)
    async with unit_of_work() as uow:
        appointment = await booking._locked(uow, diary.practice_id, appointment_id)
        before = change_records.snapshot(appointment)
        if not clear(appointment):
            return appointment
        await appointment.save(using_db=uow.connection, update_fields=list(COLUMNS))
        uow.emit(
            change_records.appointment_event(diary, appointment, RESOLVED, before, by=principal)
        )
        uow.audit(change_records.audit_change(principal, diary, appointment, "RESOLVE_CALL"))
    return appointment


__all__ = [
    "COLUMNS",
    "REQUESTED",
    "RESOLVED",
    "CallReason",
    "clear",
    "reason_of",
    "request",
    "resolve",
]
