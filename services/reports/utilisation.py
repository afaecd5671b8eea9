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

from collections.abc import Mapping, Sequence
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


def _merged(*parts: Mapping[Resource, Use]) -> dict[Resource, Use]:
    out: dict[Resource, Use] = {}
    for part in parts:
        for key, use in part.items():
            have = out.get(key)
            out[key] = use if have is None else have + use
    return out


@dataclass(frozen=True, slots=True)
class Utilisation:
    practitioners: Mapping[Resource, Use] = field(default_factory=dict)
    rooms: Mapping[Resource, Use] = field(default_factory=dict)

    def __add__(self, other: Utilisation) -> Utilisation:
        return Utilisation(
            _merged(self.practitioners, other.practitioners), _merged(self.rooms, other.rooms)
        )

    @classmethod
    def sum_of(cls, items: Sequence[Utilisation]) -> Utilisation:
        return cls(_merged(*(i.practitioners for i in items)), _merged(*(i.rooms for i in items)))

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
    # Seconds as [booked, available] per resource id, made into figures once at the end: a
    # year of weeks over an organisation adds some 20,000 pieces.
    people: dict[tuple[UUID, int], dict[UUID, list[int]]] = {}
    rooms: dict[tuple[UUID, int], dict[UUID, list[int]]] = {}

    def add(into: dict[UUID, list[int]], key: UUID, side: int, seconds: int) -> None:
        have = into.get(key)
        if have is None:
            have = into[key] = [0, 0]
        have[side] += seconds

    for practice in where.practices:
        rows = set_up[practice.practice_id]
        offered = available_time.per_bucket(
            rows, periods.buckets(found, practice.zone), practice.zone
        )
        for (index, pid), seconds in offered.practitioners.items():
            add(people.setdefault((practice.practice_id, index), {}), pid, 1, seconds)
        for (index, rid), seconds in offered.rooms.items():
            add(rooms.setdefault((practice.practice_id, index), {}), rid, 1, seconds)
    for row in booked:
        key = (row.practice_id, row.bucket)
        add(people.setdefault(key, {}), row.practitioner_id, 0, row.seconds)
        add(rooms.setdefault(key, {}), row.room_id, 0, row.seconds)

    def named(seconds: dict[UUID, list[int]], names: Mapping[UUID, str]) -> dict[Resource, Use]:
        return {Resource(names.get(i, ""), i): Use(b, a) for i, (b, a) in seconds.items()}

    figures: dict[tuple[UUID, int], Utilisation] = {}
    for key in {*people, *rooms}:
        rows = set_up[key[0]]
        figures[key] = Utilisation(
            named(people.get(key, {}), rows.practitioners), named(rooms.get(key, {}), rows.rooms)
        )
    return figures


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
