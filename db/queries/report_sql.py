"""Building a report's one aggregate statement the same way on SQLite and PostgreSQL.

Reports group rows into the caller's buckets (local days, weeks or months with exact UTC
bounds): the buckets travel as a small table (``Statement.table``: typed arrays ``unnest``-ed on
PostgreSQL, a JSON array on SQLite, one bound parameter per column) joined by range, so the
grouping by local
calendar is DST-correct on both engines without time-zone functions in SQL, and PostgreSQL
answers each bucket with an index range scan on ``(practice_id, <time column>)``.

Values are bound as parameters, never spliced: ``Statement.param`` returns the placeholder
(``$n`` on PostgreSQL, ``?`` on SQLite) and converts the value to what the engine stores (on
SQLite, UTC datetimes as ``YYYY-MM-DD HH:MM:SS+00:00`` text, dates as ISO text, UUIDs as text).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment


def client() -> BaseDBAsyncClient:
    """The models' connection (or the open transaction's, inside a unit of work)."""
    return Appointment._meta.db


class Statement:
    """Placeholders and their values for one statement on one engine."""

    def __init__(self, connection: BaseDBAsyncClient | None = None) -> None:
        self.connection = connection if connection is not None else client()
        self.postgres = self.connection.capabilities.dialect == "postgres"
        self.values: list[Any] = []

    def param(self, value: Any, *, cast: str | None = None) -> str:
        self.values.append(self._stored(value))
        mark = f"${len(self.values)}" if self.postgres else "?"
        return f"CAST({mark} AS {cast})" if cast and self.postgres else mark

    def _stored(self, value: Any) -> Any:
        if self.postgres:
            return str(value) if isinstance(value, UUID) else value
        if isinstance(value, datetime):
            return value.astimezone(UTC).isoformat(sep=" ")
        if isinstance(value, date | UUID):
            return value.isoformat() if isinstance(value, date) else str(value)
        return value

    def within(self, column: str, values: Collection[Any]) -> str:
        """``column IN (…)``; an empty collection matches nothing."""
        if not values:
            return "1 = 0"
        return f"{column} IN ({', '.join(self.param(v) for v in values)})"

    def table(
        self, name: str, columns: Sequence[tuple[str, str]], rows: Sequence[Sequence[Any]]
    ) -> str:
        """A CTE ``name(columns…)`` holding ``rows``, bound as ONE parameter per column on
        PostgreSQL (``unnest`` of typed arrays) and one in all on SQLite (``json_each`` of a JSON
        array), so a two-year daily roll-up of many practices never meets the engines' limit on
        bound parameters. ``columns`` are (name, PostgreSQL type)."""
        names = ", ".join(c for c, _ in columns)
        if self.postgres:
            arrays = ", ".join(
                self.param([self._stored(r[n]) for r in rows], cast=f"{kind}[]")
                for n, (_, kind) in enumerate(columns)
            )
            return f"{name}({names}) AS (SELECT * FROM unnest({arrays}))"  # noqa: S608 (names are code constants, values bound)
        packed = json.dumps([[self._stored(v) for v in r] for r in rows])
        picks = ", ".join(f"json_extract(value, '$[{n}]')" for n in range(len(columns)))
        source = f"json_each({self.param(packed)})"
        return f"{name}({names}) AS (SELECT {picks} FROM {source})"  # noqa: S608 (values bound)

    def buckets(self, rows: Sequence[tuple[UUID, int, datetime, datetime]]) -> str:
        """A CTE ``b(p, i, s, e)``: bucket ``i`` of practice ``p`` is the instants [s, e)."""
        ts = "timestamptz"
        return self.table("b", [("p", "uuid"), ("i", "int"), ("s", ts), ("e", ts)], rows)

    def day_buckets(self, rows: Sequence[tuple[UUID, int, date, date]]) -> str:
        """A CTE ``d(p, i, s, e)`` for date columns (a due day): bucket ``i`` is [s, e]."""
        return self.table("d", [("p", "uuid"), ("i", "int"), ("s", "date"), ("e", "date")], rows)

    def in_buckets(self, table: str, alias: str, condition: str) -> str:
        """A FROM clause: ``b`` joined to the rows of ``table`` (as ``alias``) meeting
        ``condition``, which names ``b``'s columns. On PostgreSQL a LATERAL subquery fenced
        with ``OFFSET 0``: a nested loop of one index range scan per bucket. A plain join of the
        bucket table to a big table is planned as a hash join over a sequential scan (a range
        condition against another relation is guessed at a third of the rows), 10 to 80 times
        slower over 500,000 appointments. SQLite always runs nested loops: a plain join."""
        if self.postgres:
            inner = f"SELECT * FROM {table} {alias} WHERE {condition} OFFSET 0"  # noqa: S608
            return f"b CROSS JOIN LATERAL ({inner}) {alias}"
        return f"b JOIN {table} {alias} ON {condition}"

    def seconds(self, later: str, earlier: str) -> str:
        """Whole seconds from ``earlier`` to ``later`` (timestamp expressions), rounded per row:
        ``EXTRACT(EPOCH …)`` on PostgreSQL, ``julianday`` on SQLite (which reads the stored
        ``… HH:MM:SS[.ffffff]+00:00`` text, offset included, to about 0.1 ms)."""
        if self.postgres:
            return f"ROUND(EXTRACT(EPOCH FROM ({later}) - ({earlier})))"
        return f"ROUND((julianday({later}) - julianday({earlier})) * 86400)"

    def latest(self, first: str, second: str) -> str:
        """The later of two non-null timestamps (``GREATEST``; SQLite's two-argument ``MAX``
        compares the stored UTC text, which sorts as time)."""
        return f"{'GREATEST' if self.postgres else 'MAX'}({first}, {second})"

    def earliest(self, first: str, second: str) -> str:
        """The earlier of two non-null timestamps (``LEAST`` / ``MIN``)."""
        return f"{'LEAST' if self.postgres else 'MIN'}({first}, {second})"

    def day_before(self, instant: str) -> str:
        """A timestamp expression one day earlier: the lower bound that lets a range join on
        the start column use its index for rows overlapping from before (appointments last at
        most 12 hours). On SQLite the result is ``YYYY-MM-DD HH:MM:SS`` (UTC) text, which sorts
        before or equal to the stored text of the same instant."""
        if self.postgres:
            return f"({instant}) - INTERVAL '1 day'"
        return f"datetime({instant}, '-1 day')"

    async def rows(self, sql: str) -> list[dict[str, Any]]:
        _, found = await self.connection.execute_query(sql, self.values)
        return [dict(r) for r in found]


def instant(value: Any) -> datetime:
    """A datetime read back from either engine, aware and in UTC."""
    found = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return found.replace(tzinfo=UTC) if found.tzinfo is None else found.astimezone(UTC)


def identifier(value: Any) -> UUID:
    """A UUID read back from either engine: asyncpg already gives one (its ``UUID`` subclasses
    the standard one), SQLite gives text. Reports read tens of thousands of them."""
    return value if isinstance(value, UUID) else UUID(str(value))
