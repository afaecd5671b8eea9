"""PostgreSQL's own account of a statement a piece of work sent: how many rows the scans of one
table produced or threw away. Guards for index ranges that must not grow with history."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model
from tortoise.transactions import in_transaction

T = TypeVar("T")


def postgres_connection(model: type[Model]) -> BaseDBAsyncClient:
    """The model's connection; the test is skipped unless it is PostgreSQL."""
    connection = model._meta.db
    if connection.capabilities.dialect != "postgres":
        pytest.skip("a PostgreSQL plan")
    return connection


async def read_and_scan(
    monkeypatch: pytest.MonkeyPatch,
    model: type[Model],
    read: Callable[[], Awaitable[T]],
    *,
    statement_with: str,
) -> tuple[T, int]:
    """What ``read`` returns, and the rows its one statement containing ``statement_with``
    made the scans of the model's table produce or filter out."""
    connection = model._meta.db
    with sent_queries(monkeypatch, connection) as sent:
        result = await read()
    ((statement, values),) = [s for s in sent if statement_with in s[0]]
    return result, await rows_scanned(statement, values, model._meta.db_table)


@contextmanager
def sent_queries(
    monkeypatch: pytest.MonkeyPatch, connection: BaseDBAsyncClient
) -> Iterator[list[tuple[str, list[Any]]]]:
    """(statement, values) of each ``execute_query`` on the connection's class, while open."""
    sent: list[tuple[str, list[Any]]] = []
    original = type(connection).execute_query

    async def capture(self: Any, query: str, values: list[Any] | None = None) -> Any:
        sent.append((query, list(values or [])))
        return await original(self, query, values)

    with monkeypatch.context() as patch:
        patch.setattr(type(connection), "execute_query", capture)
        yield sent


async def rows_scanned(statement: str, values: list[Any], table: str) -> int:
    """Rows the plan's scans of ``table`` produced or filtered out (sequential scans off, so
    a missing index bound shows as a long index range rather than a cheaper full scan)."""
    async with in_transaction() as transaction:
        await transaction.execute_script(f"ANALYZE {table}; SET LOCAL enable_seqscan = off")
        _, found = await transaction.execute_query(
            f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", values
        )
    document = found[0]["QUERY PLAN"]
    document = json.loads(document) if isinstance(document, str) else document
    return _scanned(document[0]["Plan"], table)


def _scanned(plan: dict[str, Any], table: str) -> int:
    own = 0
    if plan.get("Relation Name") == table:
        own = sum(
            int(plan.get(key, 0))
            for key in ("Actual Rows", "Rows Removed by Filter", "Rows Removed by Index Recheck")
        )
    return own + sum(_scanned(child, table) for child in plan.get("Plans", []))
