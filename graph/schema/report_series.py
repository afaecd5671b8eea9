"""The shape of a bucketed report in the schema, once for every report: per practice a figure
per bucket and for the period, the organisation's combined series, what was counted, and the
read's audit record. ``Series[XFigures]`` and ``Report[XFigures]`` appear in the schema as
``XFiguresSeries`` and ``XFiguresReport``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Generic, TypeVar

import strawberry

from graph.audit_extension import ReadRecord
from graph.schema.reports import ReportPractice, ReportScope, read_record_of, scope_of
from services.reports import series

T = TypeVar("T")
F = TypeVar("F", bound=series.Additive)


@strawberry.type(
    name="Series",
    description="One practice's figures, bucket by bucket and for the whole period (or the "
    "organisation's practices combined).",
)
class ReportSeries(Generic[T]):
    practice: ReportPractice | None = strawberry.field(
        description="The practice; null for the organisation's practices combined."
    )
    buckets: list[T] = strawberry.field(description="One per bucket, in order.")
    total: T = strawberry.field(description="The whole period.")


@strawberry.type(name="Report", description="A report over a period, per practice and combined.")
class SeriesReport(Generic[T]):
    scope: ReportScope = strawberry.field(description="What was counted.")
    practices: list[ReportSeries[T]] = strawberry.field(description="Per practice.")
    combined: ReportSeries[T] = strawberry.field(
        description="All practices counted, bucket by bucket (the practice itself for a "
        "practice report)."
    )
    _record: strawberry.Private[ReadRecord]

    def read_record(self) -> ReadRecord:
        return self._record


def report_of(found: series.Report[F], figures: Callable[[date, date, F], T]) -> SeriesReport[T]:
    """The report's series as graph types: ``figures(first day, last day, figure)``."""
    first, last = found.period.first_day, found.period.last_day

    def series_of(one: series.Series[F]) -> ReportSeries[T]:
        return ReportSeries(
            practice=ReportPractice.from_calendar(one.practice),
            buckets=[figures(b.first_day, b.last_day, f) for b, f in one.buckets],
            total=figures(first, last, one.total),
        )

    return SeriesReport(
        scope=scope_of(found),
        practices=[series_of(s) for s in found.practices],
        combined=series_of(found.combined),
        _record=read_record_of(found),
    )
