"""Cancellations by coded reason, per bucket of the cancelled appointments' start.

Definitions (printed in the schema too):
- cancelled: appointments starting in the bucket that were cancelled, by the reason code given
  when cancelling (``CancelCode``; the portal's own cancellations are PATIENT_REQUEST);
  cancellations without a code (before codes existed, or none given) count as UNCODED;
- late: those cancelled inside the practice's notice period (the appointment's flag);
- share: a reason's cancellations ÷ all cancellations in the bucket.
Every reason is listed in every bucket, zero or not, in a fixed order.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID

from db.queries import report_visits
from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import filters as report_filters
from services.reports import periods, reach, series
from services.scheduling.kinds import CancelCode

NAME = "cancellationReasons"
UNCODED = "UNCODED"
REASONS: tuple[str, ...] = (*(c.value for c in CancelCode), UNCODED)


@dataclass(frozen=True, slots=True)
class Tally:
    cancelled: int = 0
    late: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.cancelled + other.cancelled, self.late + other.late)


@dataclass(frozen=True, slots=True)
class Cancellations:
    by_reason: Mapping[str, Tally] = field(default_factory=dict)

    def __add__(self, other: Cancellations) -> Cancellations:
        merged = dict(self.by_reason)
        for reason, tally in other.by_reason.items():
            merged[reason] = merged.get(reason, Tally()) + tally
        return Cancellations(merged)

    @property
    def total(self) -> Tally:
        return sum(self.by_reason.values(), Tally())

    def reasons(self) -> list[tuple[str, Tally]]:
        """Every reason in ``REASONS`` order, zeros included."""
        return [(reason, self.by_reason.get(reason, Tally())) for reason in REASONS]


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter | None = None,
) -> series.Report[Cancellations]:
    """Two statements: the reach and the counts."""
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    narrowed = filters or report_filters.diary_filter()
    figures: dict[tuple[UUID, int], Cancellations] = {}
    for row in await report_visits.cancellations(series.bounds(where, found), narrowed):
        reason = row.code if row.code in REASONS else UNCODED
        key = (row.practice_id, row.bucket)
        figures[key] = figures.get(key, Cancellations()) + Cancellations(
            {reason: Tally(row.cancelled, row.late)}
        )
    return series.assemble(
        NAME, where, found, figures, Cancellations(), report_filters.details_of(narrowed)
    )
