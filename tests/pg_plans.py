"""PostgreSQL's own account of a statement a piece of work sent: how many rows the scans of one
table produced or threw away. Guards for index ranges that must not grow with history."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction


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
