"""NHS activity (practices in England): courses completed by band, UDAs delivered and the
contract target, per bucket of the completion day, with the year-to-date position against the
96-102 % tolerance band.

Definitions (printed in the schema too):

- courses / UDAs: NHS England courses COMPLETED on a day of the bucket (``completed_on``), by
  the band frozen at completion; UDAs are the course's frozen UDAs, in hundredths (open and
  cancelled courses never count);
- target: the annual UDA target of the contract year covering each day, pro rata by days: the
  days from the year's start to day D are worth round(target × days ÷ days in the contract
  year), and a bucket's target is that at its last day less that at the day before its first
  (so a whole contract year's buckets add up to the annual target exactly); days no contract
  year covers add nothing; null when none of the bucket's days is covered;
- year to date: UDAs delivered from the start of the contract year covering the bucket's last
  day up to that day (even before the period asked), against the pro rata target to that day;
  position = delivered ÷ target; status UNDER_DELIVERY below 96 % (the shortfall can be clawed
  back), WITHIN_TOLERANCE from 96 % to 102 %, OVER_DELIVERY above 102 % (activity beyond 102 %
  is not paid); null without a contract year on that day;
- the whole period: courses, UDAs and target summed; year to date as at the last day;
- combined: the practices' figures added (year to date: only practices with a contract year
  covering the day).

Practices outside England hold no NHS England contract: they are not counted and are listed as
such (a practice report for one is empty, not an error: the practice exists and the caller may
read it). A practice in England without a contract year gets its activity with no target.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from enum import StrEnum
from uuid import UUID

from db.queries import report_nhs
from db.tenancy import PracticeId
from services.billing.nhs_bands import Band
from services.principal import Principal
from services.reports import periods, reach, series
from services.scheduling.recalls import add_months

NAME = "nhsActivity"
ENGLAND = "ENGLAND"
BANDS = tuple(b.value for b in Band)
LOW_PERCENT = 96
HIGH_PERCENT = 102


class Delivery(StrEnum):
    UNDER_DELIVERY = "UNDER_DELIVERY"
    WITHIN_TOLERANCE = "WITHIN_TOLERANCE"
    OVER_DELIVERY = "OVER_DELIVERY"


@dataclass(frozen=True, slots=True)
class ContractYear:
    starts_on: date
    annual_uda_target: int  # whole UDAs

    @property
    def ends_on(self) -> date:
        return add_months(self.starts_on, 12) - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.ends_on - self.starts_on).days + 1

    def covers(self, day: date) -> bool:
        return self.starts_on <= day <= self.ends_on

    def target_to(self, day: date) -> int:
        """Hundredths of UDAs due from the year's start to ``day`` (inclusive), rounded half
        up; 0 before the start."""
        elapsed = min(max((day - self.starts_on).days + 1, 0), self.days)
        whole = self.annual_uda_target * 100 * elapsed
        return (2 * whole + self.days) // (2 * self.days)


def _plus(a: int | None, b: int | None) -> int | None:
    return None if a is None and b is None else (a or 0) + (b or 0)


def _added(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out


@dataclass(frozen=True, slots=True)
class NhsActivity:
    courses: Mapping[str, int] = field(default_factory=dict)  # by band
    udas: Mapping[str, int] = field(default_factory=dict)  # hundredths, by band
    target: int | None = None  # hundredths
    ytd_udas: int | None = None
    ytd_target: int | None = None

    def __add__(self, other: NhsActivity) -> NhsActivity:
        return NhsActivity(
            _added(self.courses, other.courses),
            _added(self.udas, other.udas),
            _plus(self.target, other.target),
            _plus(self.ytd_udas, other.ytd_udas),
            _plus(self.ytd_target, other.ytd_target),
        )

    @property
    def total_courses(self) -> int:
        return sum(self.courses.values())

    @property
    def total_udas(self) -> int:
        return sum(self.udas.values())

    @property
    def ytd_position(self) -> float | None:
        if self.ytd_udas is None or not self.ytd_target:
            return None
        return series.rate(self.ytd_udas, self.ytd_target)

    @property
    def ytd_status(self) -> Delivery | None:
        if self.ytd_udas is None or not self.ytd_target:
            return None
        if self.ytd_udas * 100 < LOW_PERCENT * self.ytd_target:
            return Delivery.UNDER_DELIVERY
        if self.ytd_udas * 100 > HIGH_PERCENT * self.ytd_target:
            return Delivery.OVER_DELIVERY
        return Delivery.WITHIN_TOLERANCE


@dataclass(frozen=True, slots=True)
class NhsReport:
    report: series.Report[NhsActivity]
    contracts: Mapping[UUID, list[ContractYear]]  # England practices' years overlapping
    outside_england: list[reach.PracticeCalendar]


@dataclass(frozen=True, slots=True)
class _Piece:
    """Days counted together: part of a bucket (``bucket`` None: before the period, for the
    year to date) inside one contract year or none."""

    bucket: int | None
    year: ContractYear | None
    first_day: date
    last_day: date


def year_on(years: Sequence[ContractYear], day: date) -> ContractYear | None:
    return next((y for y in years if y.covers(day)), None)


def _pieces(
    found: periods.Period, cut: list[periods.Bucket], years: list[ContractYear]
) -> list[_Piece]:
    """The period's days cut at bucket and contract-year boundaries, in order, after a piece
    from each year-to-date's start to the period when that year began before it."""
    out: list[_Piece] = []
    before = {y for b in cut if (y := year_on(years, b.last_day)) and y.starts_on < found.first_day}
    for earlier in sorted(before, key=lambda y: y.starts_on):
        out.append(_Piece(None, earlier, earlier.starts_on, found.first_day - timedelta(days=1)))
    for bucket in cut:
        day = bucket.first_day
        while day <= bucket.last_day:
            year = year_on(years, day)
            if year is not None:
                end = min(bucket.last_day, year.ends_on)
            else:
                later = [y.starts_on for y in years if y.starts_on > day]
                end = min([bucket.last_day, *(s - timedelta(days=1) for s in later)])
            out.append(_Piece(bucket.index, year, day, end))
            day = end + timedelta(days=1)
    return out


def _practice_figures(
    cut: list[periods.Bucket],
    pieces: list[_Piece],
    counted: Mapping[int, tuple[dict[str, int], dict[str, int]]],
    years: list[ContractYear],
) -> dict[int, NhsActivity]:
    """Bucket figures from the pieces' counts (``counted``: by piece, courses and UDAs by
    band), the year to date running along the pieces in order."""
    running: dict[ContractYear, int] = {}
    by_bucket: dict[int | None, list[tuple[_Piece, dict[str, int], dict[str, int]]]] = {}
    for n, piece in enumerate(pieces):
        courses, udas = counted.get(n, ({}, {}))
        by_bucket.setdefault(piece.bucket, []).append((piece, courses, udas))
    for piece, _, udas in by_bucket.get(None, []):
        assert piece.year is not None
        running[piece.year] = running.get(piece.year, 0) + sum(udas.values())
    out: dict[int, NhsActivity] = {}
    for bucket in cut:
        figure = NhsActivity()
        for piece, courses, udas in by_bucket.get(bucket.index, []):
            target = None
            if piece.year is not None:
                running[piece.year] = running.get(piece.year, 0) + sum(udas.values())
                target = piece.year.target_to(piece.last_day) - piece.year.target_to(
                    piece.first_day - timedelta(days=1)
                )
            figure = figure + NhsActivity(courses, udas, target)
        year = year_on(years, bucket.last_day)
        if year is not None:
            figure = replace(
                figure, ytd_udas=running.get(year, 0), ytd_target=year.target_to(bucket.last_day)
            )
        out[bucket.index] = figure
    return out


def _years(rows: list[report_nhs.ContractRow]) -> tuple[set[UUID], dict[UUID, list[ContractYear]]]:
    english = {r.practice_id for r in rows if r.jurisdiction == ENGLAND}
    years: dict[UUID, list[ContractYear]] = {p: [] for p in english}
    for r in rows:
        if r.practice_id in english and r.starts_on is not None and r.annual_uda_target is not None:
            years[r.practice_id].append(ContractYear(r.starts_on, r.annual_uda_target))
    return english, years


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> NhsReport:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    english, years = _years(await report_nhs.contracts(where.practice_ids))
    counted_reach = reach.Reach(
        where.organization_id, [p for p in where.practices if p.practice_id in english]
    )
    plan: dict[UUID, tuple[list[periods.Bucket], list[_Piece]]] = {}
    ranges: list[tuple[PracticeId, int, date, date]] = []
    for practice in counted_reach.practices:
        cut = periods.buckets(found, practice.zone)
        pieces = _pieces(found, cut, years[practice.practice_id])
        plan[practice.practice_id] = (cut, pieces)
        ranges += [(practice.practice_id, n, p.first_day, p.last_day) for n, p in enumerate(pieces)]
    counted: dict[UUID, dict[int, tuple[dict[str, int], dict[str, int]]]] = {}
    for row in await report_nhs.activity(ranges):
        courses, udas = counted.setdefault(row.practice_id, {}).setdefault(row.segment, ({}, {}))
        courses[row.band] = courses.get(row.band, 0) + row.courses
        udas[row.band] = udas.get(row.band, 0) + row.udas_hundredths
    figures: dict[tuple[UUID, int], NhsActivity] = {}
    for pid, (cut, pieces) in plan.items():
        per = _practice_figures(cut, pieces, counted.get(pid, {}), years[pid])
        figures.update({(pid, index): f for index, f in per.items()})
    assembled = series.assemble(
        NAME, counted_reach, found, figures, NhsActivity(), total_of=_total(found, figures)
    )
    overlapping = {
        pid: [y for y in listed if y.starts_on <= last_day and first_day <= y.ends_on]
        for pid, listed in years.items()
    }
    return NhsReport(
        replace(assembled, reach=where),  # the audit names what was asked
        overlapping,
        [p for p in where.practices if p.practice_id not in english],
    )


def _total(
    found: periods.Period, figures: Mapping[tuple[UUID, int], NhsActivity]
) -> Callable[[reach.PracticeCalendar], NhsActivity]:
    """The whole period: counts and targets summed, the year to date as at its last day."""

    def total(practice: reach.PracticeCalendar) -> NhsActivity:
        cut = periods.buckets(found, practice.zone)
        items = [figures.get((practice.practice_id, b.index), NhsActivity()) for b in cut]
        summed = sum((replace(f, ytd_udas=None, ytd_target=None) for f in items), NhsActivity())
        last = items[-1] if items else NhsActivity()
        return replace(summed, ytd_udas=last.ytd_udas, ytd_target=last.ytd_target)

    return total
