"""Time off: a practitioner's absences (holiday, training, sickness) and practice closures.

Absences are reception's (``schedule:write``), closures the administrators'. Recording or
moving time off over live bookings is refused unless the caller accepts them (``stranding``);
removing time off strands nothing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db.models import Absence, Closure, Practitioner
from services.errors import ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import setup
from services.scheduling.diary_access import aware, staff_practice
from services.scheduling.kinds import AbsenceKind
from services.scheduling.resources import row_in
from services.scheduling.setup import Saved
from services.scheduling.stranding import Reach

ABSENCE_KINDS = frozenset(k.value for k in AbsenceKind)


def span(start: datetime, end: datetime) -> tuple[datetime, datetime]:
    start, end = aware(start, "startsAt"), aware(end, "endsAt")
    if end <= start:
        raise ValidationFailed("The end must be after the start.", field="endsAt")
    return start, end


def _kind(kind: str) -> str:
    if kind not in ABSENCE_KINDS:
        raise ValidationFailed("Kind is HOLIDAY, TRAINING, SICKNESS or OTHER.", field="kind")
    return str(kind)


def _reason(reason: str) -> str:
    text = reason.strip()
    if not text or len(text) > 200:
        raise ValidationFailed("Give a reason of at most 200 characters.", field="reason")
    return text


async def record_absence(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    start, end = span(starts_at, ends_at)
    row = Absence(
        practice_id=pid,
        practitioner_id=practitioner_id,
        kind=_kind(kind),
        starts_at=start,
        ends_at=end,
    )
    reach = Reach(practitioner_id, start, end)
    return await setup.save(
        principal, pid, row, "RECORD_ABSENCE", reach=reach, accept=accept_affected_bookings
    )


async def update_absence(
    principal: Principal,
    *,
    practice_id: UUID,
    absence_id: UUID,
    kind: str,
    starts_at: datetime,
    ends_at: datetime,
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    row = await row_in(Absence, pid, absence_id, "Absence")
    start, end = span(starts_at, ends_at)
    values = {"kind": _kind(kind), "starts_at": start, "ends_at": end}
    return await setup.save(
        principal,
        pid,
        row,
        "UPDATE_ABSENCE",
        values=values,
        reach=Reach(UUID(str(row.practitioner_id)), start, end),
        accept=accept_affected_bookings,
    )


async def remove_absence(principal: Principal, *, practice_id: UUID, absence_id: UUID) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_WRITE)
    row = await row_in(Absence, pid, absence_id, "Absence")
    return await setup.delete(principal, pid, row, "REMOVE_ABSENCE")


async def add_closure(
    principal: Principal,
    *,
    practice_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    start, end = span(starts_at, ends_at)
    row = Closure(practice_id=pid, starts_at=start, ends_at=end, reason=_reason(reason))
    return await setup.save(
        principal,
        pid,
        row,
        "ADD_CLOSURE",
        reach=Reach(None, start, end),
        accept=accept_affected_bookings,
    )


async def update_closure(
    principal: Principal,
    *,
    practice_id: UUID,
    closure_id: UUID,
    starts_at: datetime,
    ends_at: datetime,
    reason: str,
    accept_affected_bookings: bool = False,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await row_in(Closure, pid, closure_id, "Closure")
    start, end = span(starts_at, ends_at)
    values = {"starts_at": start, "ends_at": end, "reason": _reason(reason)}
    return await setup.save(
        principal,
        pid,
        row,
        "UPDATE_CLOSURE",
        values=values,
        reach=Reach(None, start, end),
        accept=accept_affected_bookings,
    )


async def remove_closure(principal: Principal, *, practice_id: UUID, closure_id: UUID) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    row = await row_in(Closure, pid, closure_id, "Closure")
    return await setup.delete(principal, pid, row, "REMOVE_CLOSURE")
