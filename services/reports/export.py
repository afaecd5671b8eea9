"""A report as CSV for the accountant: the same figures as the GraphQL report, one row per
practice per bucket, then (for an organisation roll-up) one combined row per bucket; a report of
positions without buckets (aged debt) has one row per practice (and combined) for the period.

The columns come from the report's figures, so a new report exports without code here:
``practice_id, practice, first_day, last_day``, then the figures flattened — each dataclass
field in declaration order, a nested dataclass or a mapping (counts by reason) as one column per
sub-field or key (``field.key.sub``, keys sorted; a tuple key as its parts joined by ``/``),
keyed sums (``Sums``) as one column per key and position, every key seen anywhere in the
report — then the figures' derived columns when the type offers them (:class:`DerivedColumns`:
rates computed from the summed counts, never averaged). A figures type whose fields are not
plain counts (keyed sums: their positions have no names) should name all its columns itself
(:class:`OwnColumns`). Text cells are neutralised
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


def _key(part: object) -> str:
    """A mapping key as column text: a tuple or dataclass key (a practitioner's id and name)
    as its parts joined by ``/``, an absent part as ``-``."""
    if part is None:
        return "-"
    if isinstance(part, tuple):
        return "/".join(_key(p) for p in part)
    if dataclasses.is_dataclass(part) and not isinstance(part, type):
        return "/".join(_key(getattr(part, f.name)) for f in dataclasses.fields(part))
    return str(part)


def _keyed_rows(value: object) -> bool:
    """Rows of (key tuple, values): keyed sums (``services.reports.sums.Sums.rows``)."""
    return (
        isinstance(value, tuple)
        and bool(value)
        and all(isinstance(r, tuple) and len(r) == 2 and isinstance(r[0], tuple) for r in value)
    )


def _flatten(value: object, name: str, out: dict[str, object]) -> None:
    def under(part: str) -> str:
        return f"{name}.{part}" if name else part

    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        for spec in dataclasses.fields(value):
            _flatten(getattr(value, spec.name), under(spec.name), out)
    elif isinstance(value, Mapping):
        for key in sorted(value, key=_key):
            _flatten(value[key], under(_key(key)), out)
    elif _keyed_rows(value):
        for key, values in value:  # type: ignore[attr-defined]
            _flatten(values, under(_key(key)), out)
    elif isinstance(value, tuple) and all(isinstance(v, int | float) for v in value):
        for n, part in enumerate(value):
            out[under(str(n))] = part
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


def _cells(found: series.Report[Any], each: series.Series[Any]) -> list[tuple[date, date, Any]]:
    """A series' rows: its buckets, or for a report of positions (``series.snapshot``, no
    buckets: aged debt) its one figure for the whole period."""
    if not each.buckets:
        return [(found.period.first_day, found.period.last_day, each.total)]
    return [(b.first_day, b.last_day, figure) for b, figure in each.buckets]


def columns(found: series.Report[Any]) -> list[str]:
    """The figure columns (after the four place columns): those of the combined total (which
    holds every key of a summed mapping), then any other seen in a row, in order."""
    names = dict.fromkeys(flat(found.combined.total))
    for each in _series(found):
        for _, _, figure in _cells(found, each):
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
    yield [*PLACE, *(cell(name) for name in chosen)]  # keys may hold names
    for each in _series(found):
        place = each.practice
        where = ["", COMBINED] if place is None else [str(place.practice_id), cell(place.name)]
        for first, last, figure in _cells(found, each):
            values = flat(figure)
            days = [first.isoformat(), last.isoformat()]
            yield [*where, *days, *(_text(values.get(name)) for name in chosen)]


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
