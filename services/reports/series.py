"""The shape every report answers in: per practice, a figure per bucket and for the whole
period, plus the organisation's combined series (bucket by bucket: the practices of one period
share local dates, whatever their time zones).

Figures are small frozen dataclasses of counts and sums that add up (``+``), so a combined or
total figure is always the sum of what it is made of and rates are computed from the sums, never
averaged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import reduce
from typing import Generic, Protocol, Self, TypeVar
from uuid import UUID

from db.tenancy import PracticeId
from services.reports.periods import Bucket, Period, buckets
from services.reports.reach import PracticeCalendar, Reach


class Additive(Protocol):
    def __add__(self, other: Self, /) -> Self: ...


F = TypeVar("F", bound=Additive)


@dataclass(frozen=True, slots=True)
class Series(Generic[F]):
    practice: PracticeCalendar | None  # None: the organisation's practices combined
    buckets: list[tuple[Bucket, F]]
    total: F


@dataclass(frozen=True, slots=True)
class Report(Generic[F]):
    name: str
    reach: Reach
    period: Period
    practices: list[Series[F]]
    combined: Series[F]
    details: tuple[str, ...]  # what was asked, for the audit row


def rate(part: int, whole: int) -> float | None:
    """A share from 0 to 1 rounded to 4 places; none of nothing. Always from summed counts."""
    return None if whole == 0 else round(part / whole, 4)


def bounds(reach: Reach, found: Period) -> list[tuple[PracticeId, int, datetime, datetime]]:
    """Every practice's buckets as (practice, index, UTC start, UTC end), for the SQL."""
    return [
        (p.practice_id, b.index, b.starts_at, b.ends_at)
        for p in reach.practices
        for b in buckets(found, p.zone)
    ]


def _sum(items: Sequence[F], zero: F) -> F:
    """The items added up. A figure type may offer ``sum_of(items)``, adding many at once:
    pairwise ``+`` over keyed sums re-sorts every partial sum, which was half the Python time
    of an organisation's takings by week."""
    many = getattr(type(zero), "sum_of", None)
    if many is not None:
        return many(items)  # type: ignore[no-any-return]
    return reduce(lambda a, b: a + b, items, zero)


def assemble(
    name: str,
    reach: Reach,
    found: Period,
    figures: Mapping[tuple[UUID, int], F],
    zero: F,
    details: Sequence[str] = (),
    total_of: Callable[[PracticeCalendar], F] | None = None,
) -> Report[F]:
    """``figures`` by (practice, bucket index); a missing pair is ``zero``. ``total_of`` gives
    a practice's whole-period figure when it is not the sum of its buckets (distinct patients)."""
    per_practice: list[Series[F]] = []
    for practice in reach.practices:
        cut = buckets(found, practice.zone)
        rows = [(b, figures.get((practice.practice_id, b.index), zero)) for b in cut]
        total = total_of(practice) if total_of else _sum([f for _, f in rows], zero)
        per_practice.append(Series(practice, rows, total))
    shared = per_practice[0].buckets if per_practice else []
    combined_rows = [
        (bucket, _sum([s.buckets[n][1] for s in per_practice], zero))
        for n, (bucket, _) in enumerate(shared)
    ]
    combined = Series(None, combined_rows, _sum([s.total for s in per_practice], zero))
    return Report(name, reach, found, per_practice, combined, _asked(name, found, details))


def snapshot(
    name: str,
    reach: Reach,
    found: Period,
    figure_of: Callable[[PracticeCalendar], F],
    zero: F,
    details: Sequence[str] = (),
) -> Report[F]:
    """A report of one figure per practice for the period as a whole (no buckets: a position
    on a day, such as aged debt), and the organisation's combined figure, their sum."""
    per_practice = [Series(p, [], figure_of(p)) for p in reach.practices]
    combined = Series(None, [], _sum([s.total for s in per_practice], zero))
    return Report(name, reach, found, per_practice, combined, _asked(name, found, details))


def _asked(name: str, found: Period, details: Sequence[str]) -> tuple[str, ...]:
    return (
        f"report={name}",
        f"from={found.first_day.isoformat()}",
        f"to={found.last_day.isoformat()}",
        f"grouping={found.grouping.value}",
        *details,
    )
