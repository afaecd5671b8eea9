"""Waiting and chair time, from the workflow's stamps, per bucket of the appointments' start.

Definitions (printed in the schema too):
- wait: from ARRIVED (``arrivedAt``) to IN_SURGERY (``seatedAt``), over the visits holding
  both stamps;
- chair time: from IN_SURGERY (``seatedAt``) to COMPLETED (``completedAt``), over the visits
  holding both;
- averages are summed seconds ÷ counted visits (never an average of averages), so buckets,
  practices and the period combine exactly. Each difference is rounded to a whole second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_visits
from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import filters as report_filters
from services.reports import periods, reach, series

NAME = "waitingTimes"


@dataclass(frozen=True, slots=True)
class Waits:
    waited: int = 0  # visits with an arrival and a seating
    wait_seconds: int = 0
    seated: int = 0  # visits with a seating and a completion
    chair_seconds: int = 0

    def __add__(self, other: Waits) -> Waits:
        return Waits(
            self.waited + other.waited,
            self.wait_seconds + other.wait_seconds,
            self.seated + other.seated,
            self.chair_seconds + other.chair_seconds,
        )


def average_minutes(seconds: int, count: int) -> float | None:
    """Summed seconds ÷ count, in minutes to 2 places; none of nothing."""
    return None if count == 0 else round(seconds / count / 60, 2)


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[Waits]:
    """Two statements: the reach and the sums."""
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    narrowed = filters or report_filters.diary_filter()
    rows = await report_visits.waits(series.bounds(where, found), narrowed)
    figures = {
        (r.practice_id, r.bucket): Waits(r.waited, r.wait_seconds, r.seated, r.chair_seconds)
        for r in rows
    }
    return series.assemble(
        NAME, where, found, figures, Waits(), report_filters.details_of(narrowed)
    )
