"""Mapping a report's series onto its schema types: the same walk for every diary report
(each bucket's figures, then the period's), with the figures' own ``of`` doing the rest."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from graph.schema.reports import ReportPractice
from services.reports import series
from services.reports.periods import Period

T = TypeVar("T")


def mapped(
    found: series.Series[series.F], period: Period, figures: Callable[[date, date, series.F], T]
) -> tuple[ReportPractice | None, list[T], T]:
    """The practice (none when combined), one figure per bucket, and the period's."""
    return (
        ReportPractice.from_calendar(found.practice),
        [figures(b.first_day, b.last_day, f) for b, f in found.buckets],
        figures(period.first_day, period.last_day, found.total),
    )
