"""When a practitioner can be booked: weekly sessions in local wall time, narrowed by the
practice's opening hours, minus absences and closures.

Sessions are turned into instants per local day with zoneinfo, so a 09:00-17:00 session is
09:00-17:00 on the clock on both sides of a DST change (and 7 or 9 real hours on the night
of the change itself when it spans 01:00-02:00).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import OpeningHours, WorkingSession
from db.queries import schedule as queries
from db.tenancy import PracticeId
from services.scheduling.diary_access import local_instant

Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class Window:
    practitioner_id: UUID
    starts_at: datetime
    ends_at: datetime
    room_id: UUID | None


def _days(start: datetime, end: datetime, zone: ZoneInfo) -> list[date]:
    first = start.astimezone(zone).date() - timedelta(days=1)
    last = end.astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _subtract(span: Span, holes: Iterable[Span]) -> list[Span]:
    pieces = [span]
    for hole_start, hole_end in holes:
        next_pieces: list[Span] = []
        for piece_start, piece_end in pieces:
            if hole_end <= piece_start or hole_start >= piece_end:
                next_pieces.append((piece_start, piece_end))
                continue
            if hole_start > piece_start:
                next_pieces.append((piece_start, hole_start))
            if hole_end < piece_end:
                next_pieces.append((hole_end, piece_end))
        pieces = next_pieces
    return pieces


def session_windows(
    sessions: Sequence[WorkingSession],
    hours: Sequence[OpeningHours],
    holes: dict[UUID, list[Span]],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
) -> list[Window]:
    """Bookable windows overlapping [start, end); ``holes`` maps practitioner to blocked spans."""
    opening = {h.weekday: (h.open_minute, h.close_minute) for h in hours}
    by_weekday: dict[int, list[WorkingSession]] = {}
    for session in sessions:
        by_weekday.setdefault(session.weekday, []).append(session)
    instants: dict[tuple[date, int], datetime] = {}  # sessions of a day share their edges

    def at(day: date, minute: int) -> datetime:
        found = instants.get((day, minute))
        if found is None:
            found = instants[(day, minute)] = local_instant(day, minute, zone)
        return found

    found: list[Window] = []
    for day in _days(start, end, zone):
        weekday = day.weekday()
        for session in by_weekday.get(weekday, ()):
            if day < session.valid_from:
                continue
            if session.valid_until is not None and day > session.valid_until:
                continue
            first, last = session.start_minute, session.end_minute
            if opening:
                if weekday not in opening:
                    continue
                first, last = max(first, opening[weekday][0]), min(last, opening[weekday][1])
                if last <= first:
                    continue
            span = (at(day, first), at(day, last))
            pid: UUID = session.practitioner_id  # type: ignore[assignment]
            for piece_start, piece_end in _subtract(span, holes.get(pid, [])):
                if piece_start < end and piece_end > start:
                    room: UUID | None = session.room_id  # type: ignore[assignment]
                    found.append(Window(pid, piece_start, piece_end, room))
    return sorted(found, key=lambda w: (w.starts_at, str(w.practitioner_id)))


@dataclass(frozen=True, slots=True)
class SetUp:
    """The rows bookable time is made of, for some practitioners around a span."""

    sessions: list[WorkingSession]
    hours: list[OpeningHours]
    closed: list[Span]
    absent: dict[UUID, list[Span]]

    def holes(self, practitioner_ids: Sequence[UUID]) -> dict[UUID, list[Span]]:
        """Closures and each practitioner's absences: time their sessions lose."""
        return {pid: self.closed + self.absent.get(pid, []) for pid in practitioner_ids}


async def load(
    practice_id: PracticeId,
    practitioner_ids: Sequence[UUID],
    start: datetime,
    end: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> SetUp:
    """Sessions, opening hours, closures and absences for the span (four statements), on
    ``connection`` when given (inside a write's transaction)."""
    sessions = await queries.sessions(practitioner_ids, connection)
    hours = await queries.opening_hours(practice_id, connection)
    reach = (start - timedelta(days=1), end + timedelta(days=1))
    closures = await queries.closures(practice_id, *reach, connection)
    absent: dict[UUID, list[Span]] = {}
    for absence in await queries.absences(practitioner_ids, *reach, connection):
        key: UUID = absence.practitioner_id  # type: ignore[assignment]
        absent.setdefault(key, []).append((absence.starts_at, absence.ends_at))
    closed = [(c.starts_at, c.ends_at) for c in closures]
    return SetUp(sessions, hours, closed, absent)


async def windows(
    practice_id: PracticeId,
    practitioner_ids: Sequence[UUID],
    start: datetime,
    end: datetime,
    zone: ZoneInfo,
    connection: BaseDBAsyncClient | None = None,
) -> list[Window]:
    """Bookable windows overlapping [start, end) (four statements, see :func:`load`)."""
    found = await load(practice_id, practitioner_ids, start, end, connection)
    holes = found.holes(practitioner_ids)
    return session_windows(found.sessions, found.hours, holes, start, end, zone)


def containing(found: Sequence[Window], start: datetime, end: datetime) -> Window | None:
    for window in found:
        if window.starts_at <= start and end <= window.ends_at:
            return window
    return None
