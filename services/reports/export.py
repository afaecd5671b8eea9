"""A report as CSV for the accountant: the same figures as the GraphQL report, one row per
practice per bucket, then (for an organisation roll-up) one combined row per bucket.

The columns come from the report's figures dataclass, so a new report exports without code
here: ``practice_id, practice, first_day, last_day``, then each field of the figures in
declaration order (a mapping field, such as counts by reason, becomes one column per key seen
anywhere in the report, ``field.key``, in key order), then the figures' derived columns when
the type offers them (:class:`DerivedColumns`: rates computed from the summed counts, never
averaged). Text cells are neutralised against spreadsheet formulas
(``services.spreadsheet_cells``); numbers are written as numbers, an absent rate as an empty
cell. Who may export, and which practices it counts, is decided by the report itself
(``services.reports.reach``), exactly as for the GraphQL read.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable
from uuid import UUID

from db.queries.report_diary import DiaryFilter
from services.principal import Principal
from services.reports import catalogue, series
from services.spreadsheet_cells import cell

COMBINED = "All practices"
ROWS_PER_CHUNK = 500
PLACE = ("practice_id", "practice", "first_day", "last_day")


@runtime_checkable
class DerivedColumns(Protocol):
    """A figures type that adds columns computed from its fields (rates, averages from sums),
    in a fixed order: the same names for every figure of the type."""

    def derived_columns(self) -> Mapping[str, object]: ...


Column = tuple[str, Callable[[Any], object]]


async def report(
    principal: Principal,
    name: str,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
    filters: DiaryFilter,
) -> series.Report[Any]:
    """The named report, as its GraphQL query computes it (unknown name: NOT_FOUND)."""
    run = catalogue.find(name)
    return await run(
        principal,
        practice_id=practice_id,
        organization_id=organization_id,
        first_day=first_day,
        last_day=last_day,
        grouping=grouping,
        filters=filters,
    )


def filename(found: series.Report[Any]) -> str:
    first, last = found.period.first_day.isoformat(), found.period.last_day.isoformat()
    return f"{found.name}-{first}-{last}-{found.period.grouping.value.lower()}.csv"


def _series(found: series.Report[Any]) -> list[series.Series[Any]]:
    return [*found.practices, found.combined] if found.reach.is_rollup else found.practices


def _field(name: str) -> Callable[[Any], object]:
    return lambda figure: getattr(figure, name)


def _keyed(name: str, key: object) -> Callable[[Any], object]:
    return lambda figure: getattr(figure, name).get(key)


def _derived(name: str) -> Callable[[Any], object]:
    return lambda figure: figure.derived_columns()[name]


def columns(found: series.Report[Any]) -> list[Column]:
    """The figure columns (after the four place columns), from the report's figures type."""
    sample = found.combined.total
    figures = [f for s in _series(found) for _, f in s.buckets]
    out: list[Column] = []
    for spec in dataclasses.fields(sample):
        if isinstance(getattr(sample, spec.name), Mapping):
            keys = {k for f in figures for k in getattr(f, spec.name)}
            out.extend((f"{spec.name}.{k}", _keyed(spec.name, k)) for k in sorted(keys, key=str))
        else:
            out.append((spec.name, _field(spec.name)))
    if isinstance(sample, DerivedColumns):
        out.extend((name, _derived(name)) for name in sample.derived_columns())
    return out


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | Decimal):
        return str(value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return cell(str(value))


def rows(found: series.Report[Any]) -> Iterator[list[str]]:
    """The header, then every bucket of every practice (and the combined buckets)."""
    chosen = columns(found)
    yield [*PLACE, *(name for name, _ in chosen)]
    for each in _series(found):
        place = each.practice
        where = ["", COMBINED] if place is None else [str(place.practice_id), cell(place.name)]
        for bucket, figure in each.buckets:
            days = [bucket.first_day.isoformat(), bucket.last_day.isoformat()]
            yield [*where, *days, *(_text(value(figure)) for _, value in chosen)]


async def csv_text(found: series.Report[Any]) -> AsyncIterator[str]:
    """The CSV (RFC 4180, CRLF) in chunks of ``ROWS_PER_CHUNK`` rows, for a streamed reply."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for n, row in enumerate(rows(found), start=1):
        writer.writerow(row)
        if n % ROWS_PER_CHUNK == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()
