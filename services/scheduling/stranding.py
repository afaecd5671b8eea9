"""Bookings a set-up change would strand: live appointments that sat inside bookable time before
the change and no longer do (a new absence or closure over them, a session shrunk or removed,
opening hours narrowed).

A clinic must not lose patients silently, so such a change is refused with CONFLICT naming the
appointments, unless the caller accepts them; then they are kept as booked and named in the
result and on the board's ``setup.changed`` event, for reception to rebook. The check compares
the diary before and after the write inside the change's own transaction, so one rule serves
every kind of change. Appointments that were already outside bookable time do not block.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Absence, Appointment, Closure, OpeningHours, Practice, WorkingSession
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services.errors import Conflict
from services.scheduling import availability, occupancy

LIVE_STATUSES = ("BOOKED", "CONFIRMED", "ARRIVED", "IN_SURGERY")
# A window lies within one local day (25 hours on the night clocks go back).
_LONGEST_WINDOW = timedelta(hours=25)
_LISTED = 20


class BookingsStranded(Conflict):
    """CONFLICT naming the live appointments the change would leave outside bookable time."""

    def __init__(self, appointment_ids: Sequence[UUID]) -> None:
        count = len(appointment_ids)
        super().__init__(
            f"{count} booked appointment{'s' if count != 1 else ''} would fall outside bookable "
            "time; move them first, or accept them to rebook afterwards.",
            field="acceptAffectedBookings",
        )
        self.appointment_ids = list(appointment_ids)

    @property
    def details(self) -> dict[str, Any]:
        """Error extensions: the count, and the first ids (ids only, no patient data)."""
        listed = [str(a) for a in self.appointment_ids[:_LISTED]]
        return {"affectedAppointmentCount": len(self.appointment_ids), "appointmentIds": listed}


@dataclass(frozen=True, slots=True)
class Reach:
    """Which bookings a change can touch: one practitioner's or everyone's, within a span."""

    practitioner_id: UUID | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def stranded(
    connection: BaseDBAsyncClient, practice_id: PracticeId, reach: Reach, now: datetime
) -> set[UUID]:
    """Live appointments within ``reach`` that no bookable window contains (as booking checks)."""
    query = Appointment.filter(practice_id=practice_id, status__in=LIVE_STATUSES, ends_at__gt=now)
    if reach.practitioner_id is not None:
        query = query.filter(practitioner_id=reach.practitioner_id)
    if reach.starts_at is not None and reach.ends_at is not None:
        query = query.filter(starts_at__lt=reach.ends_at, ends_at__gt=reach.starts_at)
    rows = await query.using_db(connection).values_list(
        "id", "practitioner_id", "starts_at", "ends_at"
    )
    if not rows:
        return set()
    booked = [(UUID(str(a)), UUID(str(p)), _instant(s), _instant(e)) for a, p, s, e in rows]
    start, end = min(b[2] for b in booked), max(b[3] for b in booked)
    people = sorted({b[1] for b in booked}, key=str)
    found = await _windows(connection, practice_id, people, start, end)
    none: tuple[list[datetime], list[availability.Window]] = ([], [])
    return {aid for aid, who, s, e in booked if not _inside(found.get(who, none), s, e)}


async def _windows(
    connection: BaseDBAsyncClient,
    practice_id: PracticeId,
    people: list[UUID],
    start: datetime,
    end: datetime,
) -> dict[UUID, tuple[list[datetime], list[availability.Window]]]:
    """Bookable windows per practitioner over [start, end) with their starts (sorted), read on
    the change's connection."""
    practice = await Practice.filter(id=practice_id).using_db(connection).first()
    zone = ZoneInfo(practice.timezone if practice else "UTC")
    reach = {"starts_at__lt": end + timedelta(days=1), "ends_at__gt": start - timedelta(days=1)}
    sessions = await WorkingSession.filter(practitioner_id__in=people).using_db(connection)
    hours = await OpeningHours.filter(practice_id=practice_id).using_db(connection)
    closures = await Closure.filter(practice_id=practice_id, **reach).using_db(connection)
    absences = await Absence.filter(practitioner_id__in=people, **reach).using_db(connection)
    closed = [(c.starts_at, c.ends_at) for c in closures]
    holes = {pid: list(closed) for pid in people}
    for absence in absences:
        holes[UUID(str(absence.practitioner_id))].append((absence.starts_at, absence.ends_at))
    by_person: dict[UUID, tuple[list[datetime], list[availability.Window]]] = {}
    for window in availability.session_windows(sessions, hours, holes, start, end, zone):
        starts, windows = by_person.setdefault(UUID(str(window.practitioner_id)), ([], []))
        starts.append(window.starts_at)
        windows.append(window)
    return by_person


def _inside(
    found: tuple[list[datetime], list[availability.Window]], start: datetime, end: datetime
) -> bool:
    """Windows are sorted by start; only those starting up to a day before can contain it."""
    starts, windows = found
    first = bisect_left(starts, start - _LONGEST_WINDOW)
    last = bisect_right(starts, start)
    return any(w.ends_at >= end for w in windows[first:last])


@asynccontextmanager
async def guard(
    uow: UnitOfWork, practice_id: PracticeId, reach: Reach, *, accept: bool
) -> AsyncIterator[list[UUID]]:
    """Wraps the write; afterwards the yielded list names the newly stranded appointments.

    Refuses (rolling the unit of work back) unless ``accept``. On SQLite the practice's booking
    lock is taken first, so no booking slips in between the two looks.
    """
    await occupancy.serialise(uow, practice_id)
    now = datetime.now(UTC)
    before = await stranded(uow.connection, practice_id, reach, now)
    affected: list[UUID] = []
    yield affected
    after = await stranded(uow.connection, practice_id, reach, now)
    affected.extend(sorted(after - before, key=str))
    if affected and not accept:
        raise BookingsStranded(affected)
