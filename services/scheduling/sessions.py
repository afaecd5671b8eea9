"""When the practice and its practitioners work: weekly sessions and opening hours.

Each can be changed or removed (audited, announced to boards). A change that takes bookable
time away from live bookings is refused unless the caller accepts them (``stranding``).
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

from db.models import OpeningHours, Practitioner, Room, WorkingSession
from db.queries import diary_setup
from db.tenancy import PracticeId
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import setup
from services.scheduling.diary_access import staff_practice
from services.scheduling.resources import row_in
from services.scheduling.setup import Saved
from services.scheduling.stranding import Reach

EVERYONE = Reach()


def minutes(first: int, last: int, field: str = "endMinute") -> None:
    if not 0 <= first < last <= 1440:
        raise ValidationFailed("Start must be before end, within one day.", field=field)


def _weekday(weekday: int) -> int:
    if weekday not in range(7):
        raise ValidationFailed("Weekday is 0 (Monday) to 6.", field="weekday")
    return weekday


def session_values(
    weekday: int, start_minute: int, end_minute: int, valid_from: date, valid_until: date | None
) -> dict[str, Any]:
    """A weekly session's values, checked."""
    minutes(start_minute, end_minute)
    if valid_until is not None and valid_until < valid_from:
        raise ValidationFailed("Valid until must not be before valid from.", field="validUntil")
    return {
        "weekday": _weekday(weekday),
        "start_minute": start_minute,
        "end_minute": end_minute,
        "valid_from": valid_from,
        "valid_until": valid_until,
    }


async def _room(pid: PracticeId, room_id: UUID | None) -> UUID | None:
    if room_id is not None:
        await row_in(Room, pid, room_id, "Room")
    return room_id


async def add_session(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    room_id: UUID | None,
    values: dict[str, Any],
) -> Saved:
    """``values`` as built by :func:`session_values`; adding time strands nothing."""
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    row = WorkingSession(
        practice_id=pid,
        practitioner_id=practitioner_id,
        room_id=await _room(pid, room_id),
        **values,
    )
    return await setup.save(principal, pid, row, "ADD_WORKING_SESSION")


async def update_session(
    principal: Principal,
    *,
    practice_id: UUID,
    session_id: UUID,
    room_id: UUID | None,
    values: dict[str, Any],
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await row_in(WorkingSession, pid, session_id, "Working session")
    values = {**values, "room_id": await _room(pid, room_id)}
    return await setup.save(
        principal,
        pid,
        row,
        "UPDATE_WORKING_SESSION",
        values=values,
        reach=Reach(UUID(str(row.practitioner_id))),
        accept=accept_affected_bookings,
    )


async def remove_session(
    principal: Principal,
    *,
    practice_id: UUID,
    session_id: UUID,
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await row_in(WorkingSession, pid, session_id, "Working session")
    return await setup.delete(
        principal,
        pid,
        row,
        "REMOVE_WORKING_SESSION",
        reach=Reach(UUID(str(row.practitioner_id))),
        accept=accept_affected_bookings,
    )


async def set_opening_hours(
    principal: Principal,
    *,
    practice_id: UUID,
    weekday: int,
    open_minute: int,
    close_minute: int,
    accept_affected_bookings: bool = False,
) -> Saved:
    """The first hours set close every other weekday, so the whole diary is checked."""
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    minutes(open_minute, close_minute, "closeMinute")
    row = await diary_setup.opening_hours_on(pid, _weekday(weekday))
    row = row or OpeningHours(practice_id=pid, weekday=weekday, open_minute=0, close_minute=0)
    return await setup.save(
        principal,
        pid,
        row,
        "SET_OPENING_HOURS",
        values={"open_minute": open_minute, "close_minute": close_minute},
        reach=EVERYONE,
        accept=accept_affected_bookings,
    )


async def remove_opening_hours(
    principal: Principal,
    *,
    practice_id: UUID,
    weekday: int,
    accept_affected_bookings: bool = False,
) -> Saved:
    """The weekday closes while others keep hours; removing the last entry opens every day."""
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await diary_setup.opening_hours_on(pid, _weekday(weekday))
    if row is None:
        raise NotFound("Opening hours")
    return await setup.delete(
        principal,
        pid,
        row,
        "REMOVE_OPENING_HOURS",
        reach=EVERYONE,
        accept=accept_affected_bookings,
    )
