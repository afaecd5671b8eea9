"""Counting PostgreSQL round trips at the asyncpg level, for round-trip guards on hot paths.

``tests/sql_counter.py`` counts the statements Tortoise is asked to run; this counts what goes
over the wire beneath it: every extended-protocol execution (``fetch``, ``execute`` with
arguments, ``executemany``: one exchange each), every statement prepared because the
connection's cache did not hold it yet (one more exchange), and every simple-protocol query
(``BEGIN``, ``COMMIT``, ``ROLLBACK``, a pool's reset query). Work of the outbox relay's own
timer is left out, as the statement counter does.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from asyncpg.connection import Connection

from tests.sql_counter import in_background_pipeline, one_line

_inside = contextvars.ContextVar("inside_round_trip", default=False)


class RoundTrips(list[tuple[str, str]]):
    """(kind, statement) per exchange: kind is PREPARE, EXECUTE or SIMPLE."""

    def of_kind(self, kind: str) -> list[str]:
        return [statement for found, statement in self if found == kind]

    def matching(self, fragment: str) -> list[tuple[str, str]]:
        return [(kind, s) for kind, s in self if fragment.lower() in s.lower()]


def _counted_execute(method: Callable[..., Any], log: RoundTrips) -> Callable[..., Any]:
    @functools.wraps(method)
    async def execute(self: Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if not args and not _inside.get() and not in_background_pipeline():
            log.append(("SIMPLE", one_line(query)))  # the simple protocol: one exchange
        return await method(self, query, *args, **kwargs)

    return execute


def _counted_do_execute(method: Callable[..., Any], log: RoundTrips) -> Callable[..., Any]:
    @functools.wraps(method)
    async def do_execute(self: Connection, query: str, *args: Any, **kwargs: Any) -> Any:
        if _inside.get() or in_background_pipeline():
            return await method(self, query, *args, **kwargs)
        record_class = kwargs.get("record_class") or self._protocol.get_record_class()
        key = (query, record_class, kwargs.get("ignore_custom_codec", False))
        if self._stmt_cache.get(key) is None:
            log.append(("PREPARE", one_line(query)))
        log.append(("EXECUTE", one_line(query)))
        token = _inside.set(True)  # a retry after a stale cached statement is the same call
        try:
            return await method(self, query, *args, **kwargs)
        finally:
            _inside.reset(token)

    return do_execute


@contextmanager
def count_round_trips(monkeypatch: pytest.MonkeyPatch) -> Iterator[RoundTrips]:
    log = RoundTrips()
    with monkeypatch.context() as patch:
        patch.setattr(Connection, "execute", _counted_execute(Connection.execute, log))
        patch.setattr(Connection, "_do_execute", _counted_do_execute(Connection._do_execute, log))
        yield log
