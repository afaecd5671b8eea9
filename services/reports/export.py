"""A report as CSV for the accountant: the same figures as the GraphQL report, one row per
practice per bucket, then (for an organisation roll-up) one combined row per bucket.

The columns come from the report's figures, so a new report exports without code here:
``practice_id, practice, first_day, last_day``, then the figures flattened — each dataclass
field in declaration order, a nested dataclass or a mapping (counts by reason) as one column per
sub-field or key (``field.key.sub``, keys sorted), every key seen anywhere in the report — then
the figures' derived columns when the type offers them (:class:`DerivedColumns`: rates computed
from the summed counts, never averaged). A figures type whose fields are not plain counts
(keyed sums) may name all its columns itself (:class:`OwnColumns`). Text cells are neutralised
against spreadsheet formulas (``services.spreadsheet_cells``); numbers are written as numbers,
an absent value (a rate of nothing, a key a bucket lacks) as an empty cell. Who may export, and
which practices it counts, is decided by the report itself (``services.reports.reach``), exactly
as for the GraphQL read.
"""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import AsyncIterator, Iterator, Mapping
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
    after them, in a fixed order."""

    def derived_columns(self) -> Mapping[str, object]: ...


@runtime_checkable
class OwnColumns(Protocol):
    """A figures type that names all its (non-derived) columns itself, instead of its fields."""

    def export_columns(self) -> Mapping[str, object]: ...


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
    return await catalogue.run(
        catalogue.find(name),
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


def _flatten(value: object, name: str, out: dict[str, object]) -> None:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for spec in dataclasses.fields(value):
            _flatten(getattr(value, spec.name), f"{name}.{spec.name}" if name else spec.name, out)
    elif isinstance(value, Mapping):
        for key in sorted(value, key=str):
            _flatten(value[key], f"{name}.{key}", out)
    else:
        out[name] = value


def flat(figure: object) -> dict[str, object]:
    """One figure as named cells, in column order."""
    out: dict[str, object] = {}
    if isinstance(figure, OwnColumns):
        out.update(figure.export_columns())
    else:
        _flatten(figure, "", out)
    if isinstance(figure, DerivedColumns):
        out.update(figure.derived_columns())
    return out


def columns(found: series.Report[Any]) -> list[str]:
    """The figure columns (after the four place columns): those of the combined total (which
    holds every key of a summed mapping), then any other seen in a bucket, in order."""
    names = dict.fromkeys(flat(found.combined.total))
    for each in _series(found):
        for _, figure in each.buckets:
            names.update(dict.fromkeys(flat(figure)))
    return list(names)


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
    yield [*PLACE, *chosen]
    for each in _series(found):
        place = each.practice
        where = ["", COMBINED] if place is None else [str(place.practice_id), cell(place.name)]
        for bucket, figure in each.buckets:
            cells = flat(figure)
            days = [bucket.first_day.isoformat(), bucket.last_day.isoformat()]
            yield [*where, *days, *(_text(cells.get(name)) for name in chosen)]


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
