"""Working patterns and time off: weekly sessions, absences, opening hours and closures.

Each can be changed or removed (audited). A session is only removed while no live future
booking lies inside it; absences and closures have nothing depending on them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

from db.models import Absence, Closure, OpeningHours, WorkingSession
from db.queries import schedule as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import audit
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import access, rules
from services.scheduling.access import aware, staff_practice

ABSENCE_KINDS = frozenset({"HOLIDAY", "TRAINING", "SICKNESS", "OTHER"})


def _minutes(first: int, last: int) -> None:
    if not 0 <= first < last <= 1440:
        raise ValidationFailed("Start must be before end, within one day.", field="endMinute")


def _span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = aware(start, "startsAt"), aware(end, "endsAt")
    if end <= start:
        raise ValidationFailed("The end must be after the start.", field="endsAt")
    return start, end


async def _save(
    principal: Principal,
    row: object,
    action: str,
    practice_id: UUID,
    fields: list[str] | None = None,
) -> None:
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)  # type: ignore[attr-defined]
        uow.audit(
            audit.record_for(
                principal,
                action=action,
                practice_id=practice_id,
                entity_type=type(row).__name__,
                entity_id=row.id,  # type: ignore[attr-defined]
                fields=fields,
            )
        )


async def _change(
    principal: Principal, row: Any, action: str, practice_id: UUID, values: dict[str, Any]
) -> None:
    changed = sorted(k for k, v in values.items() if getattr(row, k) != v)
    for key, value in values.items():
        setattr(row, key, value)
    await _save(principal, row, action, practice_id, changed)


async def _delete(principal: Principal, row: Any, action: str, practice_id: UUID) -> None:
    async with unit_of_work() as uow:
        await type(row).filter(id=row.id).using_db(uow.connection).delete()
        uow.audit(
            audit.record_for(
                principal,
                action=action,
                practice_id=practice_id,
                entity_type=type(row).__name__,
                entity_id=row.id,
            )
        )


def _session_values(
    weekday: int, start_minute: int, end_minute: int, valid_from: date, valid_until: date | None
) -> dict[str, Any]:
    if weekday not in range(7):
        raise ValidationFailed("Weekday is 0 (Monday) to 6.", field="weekday")
    _minutes(start_minute, end_minute)
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("Valid until must not be before valid from.", field="validUntil")
    return {
        "weekday": weekday,
        "start_minute": start_minute,
        "end_minute": end_minute,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


async def add_session(
    principal: Principal,
    *,
    practitioner_id: UUID,
    practice_id: UUID,
    weekday: int,
    start_minute: int,
    end_minute: int,
    valid_from: date,
    valid_until: date | None,
    room_id: UUID | None,
) -> WorkingSession:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    if await queries.practitioner(pid, practitioner_id) is None:
        raise NotFound("Practitioner")
    if room_id and await queries.room(pid, room_id) is None:
        raise NotFound("Room")
    values = _session_values(weekday, start_minute, end_minute, valid_from, valid_until)
    row = WorkingSession(
        practice_id=pid, practitioner_id=practitioner_id, room_id=room_id, **values
    )
    await _save(principal, row, "ADD_WORKING_SESSION", pid)
    return row


async def record_absence(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Absence:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    if await queries.practitioner(pid, practitioner_id) is None:
        raise NotFound("Practitioner")
    if kind not in ABSENCE_KINDS:
        raise ValidationFailed("Kind is HOLIDAY, TRAINING, SICKNESS or OTHER.", field="kind")
    start, end = _span(starts_at, ends_at)
    row = Absence(
        practice_id=pid, practitioner_id=practitioner_id, kind=kind, starts_at=start, ends_at=end
    )
    await _save(principal, row, "RECORD_ABSENCE", pid)
    return row


async def add_closure(
    principal: Principal, *, practice_id: UUID, starts_at: datetime, ends_at: datetime, reason: str
) -> Closure:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    start, end = _span(starts_at, ends_at)
    text = reason.strip()
    if not text or len(text) > 200:
        raise ValidationFailed("Give a reason of at most 200 characters.", field="reason")
    row = Closure(practice_id=pid, starts_at=start, ends_at=end, reason=text)
    await _save(principal, row, "ADD_CLOSURE", pid)
    return row


async def set_opening_hours(
    principal: Principal, *, practice_id: UUID, weekday: int, open_minute: int, close_minute: int
) -> OpeningHours:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    if weekday not in range(7):
        raise ValidationFailed("Weekday is 0 (Monday) to 6.", field="weekday")
    _minutes(open_minute, close_minute)
    row = await OpeningHours.get_or_none(practice_id=pid, weekday=weekday)
    row = row or OpeningHours(practice_id=pid, weekday=weekday)
    row.open_minute, row.close_minute = open_minute, close_minute
    await _save(principal, row, "SET_OPENING_HOURS", pid)
    return row


async def _session_in(pid: UUID, session_id: UUID) -> WorkingSession:
    found = await WorkingSession.get_or_none(id=session_id, practice_id=PracticeId(pid))
    if found is None:
        raise NotFound("Working session")
    return found


async def _absence_in(pid: UUID, absence_id: UUID) -> Absence:
    found = await Absence.get_or_none(id=absence_id, practice_id=PracticeId(pid))
    if found is None:
        raise NotFound("Absence")
    return found


async def _closure_in(pid: UUID, closure_id: UUID) -> Closure:
    found = await Closure.get_or_none(id=closure_id, practice_id=PracticeId(pid))
    if found is None:
        raise NotFound("Closure")
    return found


async def update_session(
    principal: Principal,
    *,
    practice_id: UUID,
    session_id: UUID,
    weekday: int,
    start_minute: int,
    end_minute: int,
    valid_from: date,
    valid_until: date | None,
    room_id: UUID | None,
) -> WorkingSession:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await _session_in(pid, session_id)
    if room_id and await queries.room(pid, room_id) is None:
        raise NotFound("Room")
    values = _session_values(weekday, start_minute, end_minute, valid_from, valid_until)
    await _change(principal, row, "UPDATE_WORKING_SESSION", pid, {**values, "room_id": room_id})
    return row


async def remove_session(
    principal: Principal, *, practice_id: UUID, session_id: UUID
) -> WorkingSession:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await _session_in(pid, session_id)
    zone = (await access.diary(principal, pid, Scope.PRACTICE_WRITE)).zone
    starts = await queries.live_starts(UUID(str(row.practitioner_id)), rules.utcnow())
    for value in starts:
        local = value.astimezone(zone)
        minute = local.hour * 60 + local.minute
        if (
            local.weekday() == row.weekday
            and row.start_minute <= minute < row.end_minute
            and row.valid_from <= local.date()
            and (row.valid_until is None or local.date() <= row.valid_until)
        ):
            raise Conflict("Future bookings lie in this session; move or cancel them first.")
    await _delete(principal, row, "REMOVE_WORKING_SESSION", pid)
    return row


async def update_absence(
    principal: Principal,
    *,
    practice_id: UUID,
    absence_id: UUID,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
) -> Absence:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    row = await _absence_in(pid, absence_id)
    if kind not in ABSENCE_KINDS:
        raise ValidationFailed("Kind is HOLIDAY, TRAINING, SICKNESS or OTHER.", field="kind")
    start, end = _span(starts_at, ends_at)
    values = {"kind": kind, "starts_at": start, "ends_at": end}
    await _change(principal, row, "UPDATE_ABSENCE", pid, values)
    return row


async def remove_absence(principal: Principal, *, practice_id: UUID, absence_id: UUID) -> Absence:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    row = await _absence_in(pid, absence_id)
    await _delete(principal, row, "REMOVE_ABSENCE", pid)
    return row


async def update_closure(
    principal: Principal,
    *,
    practice_id: UUID,
    closure_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
) -> Closure:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await _closure_in(pid, closure_id)
    start, end = _span(starts_at, ends_at)
    text = reason.strip()
    if not text or len(text) > 200:
        raise ValidationFailed("Give a reason of at most 200 characters.", field="reason")
    values = {"starts_at": start, "ends_at": end, "reason": text}
    await _change(principal, row, "UPDATE_CLOSURE", pid, values)
    return row


async def remove_closure(principal: Principal, *, practice_id: UUID, closure_id: UUID) -> Closure:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await _closure_in(pid, closure_id)
    await _delete(principal, row, "REMOVE_CLOSURE", pid)
    return row
