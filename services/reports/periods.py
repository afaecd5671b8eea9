"""A report's time axis: a range of the practice's calendar days cut into day, week or month
buckets, each with its exact UTC bounds.

Reports count what happened on a practice's own days, so a bucket starts at local midnight and
its UTC bounds come from ``zoneinfo``: the week of the spring change is 167 hours long and the
autumn one 169, with no special case in any report. Weeks start on Monday (ISO 8601); the first
and last buckets are cut to the range, so a range starting on a Wednesday has a short first week.
Ranges are inclusive of both days and at most ``MAX_DAYS`` long (two years, a leap day included).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from services.errors import ValidationFailed

MAX_DAYS = 731


class Grouping(StrEnum):
    DAY = "DAY"
    WEEK = "WEEK"
    MONTH = "MONTH"


@dataclass(frozen=True, slots=True)
class Period:
    """Inclusive calendar days and how to cut them."""

    first_day: date
    last_day: date
    grouping: Grouping

    @property
    def days(self) -> int:
        return (self.last_day - self.first_day).days + 1


@dataclass(frozen=True, slots=True)
class Bucket:
    index: int
    first_day: date  # local, inclusive
    last_day: date  # local, inclusive
    starts_at: datetime  # UTC, inclusive
    ends_at: datetime  # UTC, exclusive


def period(first_day: date, last_day: date, grouping: str | Grouping) -> Period:
    """A checked period: BAD_USER_INPUT (field ``period``) when upside down, too long or with
    an unknown grouping."""
    try:
        cut = Grouping(grouping)
    except ValueError:
        raise ValidationFailed("Group by DAY, WEEK or MONTH.", field="period.grouping") from None
    if last_day < first_day:
        raise ValidationFailed("The period ends before it starts.", field="period.to")
    found = Period(first_day, last_day, cut)
    if found.days > MAX_DAYS:
        raise ValidationFailed("A report covers at most two years.", field="period.to")
    return found


def _next_start(day: date, grouping: Grouping) -> date:
    if grouping is Grouping.DAY:
        return day + timedelta(days=1)
    if grouping is Grouping.WEEK:
        return day + timedelta(days=7 - day.weekday())
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    """The UTC instant a local day starts (midnight exists on every UK day)."""
    return datetime.combine(day, time(), zone).astimezone(UTC)


def buckets(found: Period, zone: ZoneInfo) -> list[Bucket]:
    out: list[Bucket] = []
    day = found.first_day
    while day <= found.last_day:
        following = min(_next_start(day, found.grouping), found.last_day + timedelta(days=1))
        out.append(
            Bucket(
                index=len(out),
                first_day=day,
                last_day=following - timedelta(days=1),
                starts_at=local_midnight(day, zone),
                ends_at=local_midnight(following, zone),
            )
        )
        day = following
    return out


def span(found: Period, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The whole period's UTC bounds (start inclusive, end exclusive)."""
    return local_midnight(found.first_day, zone), local_midnight(
        found.last_day + timedelta(days=1), zone
    )
