"""Working patterns and time off: weekly sessions, absences, opening hours and closures."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from db.models import Absence, Closure, OpeningHours, WorkingSession
from db.queries import schedule as queries
from db.uow import unit_of_work
from services import audit
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
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


async def _save(principal: Principal, row: object, action: str, practice_id: UUID) -> None:
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)  # type: ignore[attr-defined]
        uow.audit(
            audit.record_for(
                principal,
                action=action,
                practice_id=practice_id,
                entity_type=type(row).__name__,
                entity_id=row.id,  # type: ignore[attr-defined]
            )
        )


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
    if weekday not in range(7):
        raise ValidationFailed("Weekday is 0 (Monday) to 6.", field="weekday")
    _minutes(start_minute, end_minute)
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("Valid until must not be before valid from.", field="validUntil")
    row = WorkingSession(
        practice_id=pid,
        practitioner_id=practitioner_id,
        room_id=room_id,
        weekday=weekday,
        start_minute=start_minute,
        end_minute=end_minute,
        valid_from=valid_from,
        valid_until=valid_until,
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
