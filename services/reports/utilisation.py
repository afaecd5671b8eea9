"""Utilisation: how much of the time the diary offered was booked, per practitioner and per
room (chair), per bucket.

Definitions (printed in the schema too):
- available time: the bookable windows of the practitioners' weekly sessions in the bucket
  (``available_time``: sessions in local wall time, narrowed by opening hours when set, minus
  absences and closures), in real minutes; a room's is the union of the windows of sessions
  held in it;
- booked time: the minutes inside the bucket of every appointment not cancelled (booked,
  confirmed, arrived, in surgery, completed, and did-not-attend: a missed visit still held the
  chair and the practitioner), counted for its practitioner and its room; an appointment across
  a bucket's edge counts its part on each side. Booked time is not cut to the sessions, so a
  visit booked outside them (overtime) counts and utilisation can pass 1;
- utilisation: booked ÷ available (null when nothing was available).
Filters: practitioners and rooms narrow both sides (a room filter keeps only sessions held in
those rooms); appointment types narrow the booked side only (time is not offered per type).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from db.queries import report_utilisation
from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import available_time, periods, reach, series
from services.reports import filters as report_filters

NAME = "utilisation"


@dataclass(frozen=True, slots=True)
class Use:
    """Seconds booked and available."""

    booked: int = 0
    available: int = 0

    def __add__(self, other: Use) -> Use:
        return Use(self.booked + other.booked, self.available + other.available)


@dataclass(frozen=True, slots=True, order=True)
class Resource:
    """A practitioner or a room, by name for a stable order."""

    name: str
    id: UUID


def _merged(a: Mapping[Resource, Use], b: Mapping[Resource, Use]) -> dict[Resource, Use]:
    out = dict(a)
    for key, use in b.items():
        out[key] = out.get(key, Use()) + use
    return out


@dataclass(frozen=True, slots=True)
class Utilisation:
    practitioners: Mapping[Resource, Use] = field(default_factory=dict)
    rooms: Mapping[Resource, Use] = field(default_factory=dict)

    def __add__(self, other: Utilisation) -> Utilisation:
        return Utilisation(
            _merged(self.practitioners, other.practitioners), _merged(self.rooms, other.rooms)
        )

    @property
    def practitioner_total(self) -> Use:
        return sum(self.practitioners.values(), Use())

    @property
    def room_total(self) -> Use:
        return sum(self.rooms.values(), Use())


def _figures(
    where: reach.Reach,
    found: periods.Period,
    set_up: Mapping[UUID, report_utilisation.SetUpRows],
    booked: list[report_utilisation.BookedRow],
) -> dict[tuple[UUID, int], Utilisation]:
    people: dict[tuple[UUID, int], dict[Resource, Use]] = {}
    rooms: dict[tuple[UUID, int], dict[Resource, Use]] = {}

    def add(into: dict[Resource, Use], key: Resource, use: Use) -> None:
        into[key] = into.get(key, Use()) + use

    for practice in where.practices:
        rows = set_up[practice.practice_id]
        offered = available_time.per_bucket(
            rows, periods.buckets(found, practice.zone), practice.zone
        )
        for (index, pid), seconds in offered.practitioners.items():
            who = Resource(rows.practitioners.get(pid, ""), pid)
            add(people.setdefault((practice.practice_id, index), {}), who, Use(0, seconds))
        for (index, rid), seconds in offered.rooms.items():
            room = Resource(rows.rooms.get(rid, ""), rid)
            add(rooms.setdefault((practice.practice_id, index), {}), room, Use(0, seconds))
    for row in booked:
        rows = set_up[row.practice_id]
        key = (row.practice_id, row.bucket)
        who = Resource(rows.practitioners.get(row.practitioner_id, ""), row.practitioner_id)
        add(people.setdefault(key, {}), who, Use(row.seconds, 0))
        room = Resource(rows.rooms.get(row.room_id, ""), row.room_id)
        add(rooms.setdefault(key, {}), room, Use(row.seconds, 0))
    return {key: Utilisation(people.get(key, {}), rooms.get(key, {})) for key in {*people, *rooms}}


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[Utilisation]:
    """Three statements: the reach, the set-up (sessions, hours, absences, closures, names) and
    the booked seconds."""
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    narrowed = filters or report_filters.diary_filter()
    bounds = series.bounds(where, found)
    figures: dict[tuple[UUID, int], Utilisation] = {}
    if bounds:
        day = timedelta(days=1)
        span = (min(b[2] for b in bounds) - day, max(b[3] for b in bounds) + day)
        days = (found.first_day - day, found.last_day + day)
        set_up = await report_utilisation.set_up(where.practice_ids, days, span, narrowed)
        booked = await report_utilisation.booked(bounds, narrowed)
        figures = _figures(where, found, set_up, booked)
    return series.assemble(
        NAME, where, found, figures, Utilisation(), report_filters.details_of(narrowed)
    )
