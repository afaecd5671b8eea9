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
from enum import Enum
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment
from db.queries import appointments, diary_settings
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services.errors import Conflict
from services.scheduling import availability, diary_lock

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


class Reason(Enum):
    """Why a booking lies outside bookable time (the first that applies, in this order)."""

    CLOSURE = "CLOSURE"
    ABSENCE = "ABSENCE"
    OUTSIDE_OPENING_HOURS = "OUTSIDE_OPENING_HOURS"
    OUTSIDE_SESSIONS = "OUTSIDE_SESSIONS"


@dataclass(frozen=True, slots=True)
class Booked:
    id: UUID
    practitioner_id: UUID
    starts_at: datetime
    ends_at: datetime


def as_instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def live(practice_id: PracticeId, reach: Reach, now: datetime) -> list[Appointment]:
    """Live appointments within ``reach`` that have not finished, by start."""
    return await appointments.live(
        practice_id,
        now,
        practitioner_id=reach.practitioner_id,
        starts_at=reach.starts_at,
        ends_at=reach.ends_at,
    )


async def stranded(
    connection: BaseDBAsyncClient, practice_id: PracticeId, reach: Reach, now: datetime
) -> set[UUID]:
    """Live appointments within ``reach`` that no bookable window contains (as booking checks)."""
    rows = await appointments.live_spans(
        practice_id,
        now,
        practitioner_id=reach.practitioner_id,
        starts_at=reach.starts_at,
        ends_at=reach.ends_at,
        connection=connection,
    )
    if not rows:
        return set()
    booked = [
        Booked(UUID(str(a)), UUID(str(p)), as_instant(s), as_instant(e)) for a, p, s, e in rows
    ]
    practice = await diary_settings.practice(practice_id, connection)
    zone = ZoneInfo(practice.timezone if practice else "UTC")
    return set(await reasons(practice_id, booked, zone, connection))


async def reasons(
    practice_id: PracticeId,
    booked: Sequence[Booked],
    zone: ZoneInfo,
    connection: BaseDBAsyncClient | None = None,
) -> dict[UUID, Reason]:
    """The bookings no bookable window contains, each with why (four statements)."""
    if not booked:
        return {}
    start, end = min(b.starts_at for b in booked), max(b.ends_at for b in booked)
    people = sorted({b.practitioner_id for b in booked}, key=str)
    setup = await availability.load(practice_id, people, start, end, connection)
    holes = setup.holes(people)
    bookable = _by_person(
        availability.session_windows(setup.sessions, setup.hours, holes, start, end, zone)
    )
    sessions = _by_person(availability.session_windows(setup.sessions, [], {}, start, end, zone))
    none: tuple[list[datetime], list[availability.Window]] = ([], [])
    found: dict[UUID, Reason] = {}
    for b in booked:
        if _inside(bookable.get(b.practitioner_id, none), b.starts_at, b.ends_at):
            continue
        if _overlaps(setup.closed, b):
            found[b.id] = Reason.CLOSURE
        elif _overlaps(setup.absent.get(b.practitioner_id, []), b):
            found[b.id] = Reason.ABSENCE
        elif setup.hours and _inside(sessions.get(b.practitioner_id, none), b.starts_at, b.ends_at):
            found[b.id] = Reason.OUTSIDE_OPENING_HOURS
        else:
            found[b.id] = Reason.OUTSIDE_SESSIONS
    return found


def _overlaps(spans: Sequence[availability.Span], booked: Booked) -> bool:
    return any(s < booked.ends_at and e > booked.starts_at for s, e in spans)


def _by_person(
    found: Sequence[availability.Window],
) -> dict[UUID, tuple[list[datetime], list[availability.Window]]]:
    """Windows per practitioner with their starts, sorted (as ``session_windows`` returns)."""
    by_person: dict[UUID, tuple[list[datetime], list[availability.Window]]] = {}
    for window in found:
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

    Refuses (rolling the unit of work back) unless ``accept``. The practice's diary lock is
    taken first, exclusively: no booking slips in between the two looks or after them
    (bookings re-check bookable time under the same lock, see ``diary_lock``).
    """
    await diary_lock.for_setup(uow.connection, practice_id)
    now = datetime.now(UTC)
    before = await stranded(uow.connection, practice_id, reach, now)
    affected: list[UUID] = []
    yield affected
    after = await stranded(uow.connection, practice_id, reach, now)
    affected.extend(sorted(after - before, key=str))
    if affected and not accept:
        raise BookingsStranded(affected)
