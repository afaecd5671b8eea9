"""Counting the SQL statements each GraphQL operation sends, for the per-request metric.

Tortoise has no per-statement hook, so :func:`install` wraps the public ``execute_*`` methods of
its SQLite and asyncpg clients (and their transaction wrappers) once per process, as
``tests/sql_counter.py`` does for the statement-count guards. The wrapper costs one context
variable read when nobody counts: the operation that wants a count calls :func:`begin`, which
puts a fresh one-slot cell in the context; data-loader tasks spawned by the operation copy the
context and so add to the same cell. A statement a wrapped method sends through another
wrapped method (an ``execute_query_dict`` running ``execute_query``) counts once.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable
from typing import Any

from tortoise.backends.asyncpg import client as asyncpg_client
from tortoise.backends.sqlite import client as sqlite_client

__all__ = ["Cell", "begin", "end", "install"]

_CLASSES = (
    sqlite_client.SqliteClient,
    sqlite_client.SqliteTransactionWrapper,
    asyncpg_client.AsyncpgDBClient,
    asyncpg_client.TransactionWrapper,
)
_METHODS = (
    "execute_insert",
    "execute_many",
    "execute_query",
    "execute_query_dict",
    "execute_query_dict_with_affected",
    "execute_script",
)
_MARK = "__aescrm_counted__"

Cell = list[int]  # [statements so far]; a list so that copied contexts share the one count
_cell: contextvars.ContextVar[Cell | None] = contextvars.ContextVar("sql_statements", default=None)
_inside: contextvars.ContextVar[bool] = contextvars.ContextVar("inside_sql", default=False)


def begin() -> tuple[Cell, contextvars.Token[Cell | None]]:
    """Start counting for the current context (an operation); pass the token to :func:`end`."""
    cell: Cell = [0]
    return cell, _cell.set(cell)


def end(token: contextvars.Token[Cell | None]) -> None:
    """Stops counting. A subscription may end in another task than it began in (a detached
    live subscription is closed by whoever ends the socket): there, nothing is left to undo."""
    try:
        _cell.reset(token)
    except ValueError:  # the token belongs to another context
        _cell.set(None)


def _counting(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def counted(self: Any, *args: Any, **kwargs: Any) -> Any:
        cell = _cell.get()
        if cell is None or _inside.get():
            return await method(self, *args, **kwargs)
        cell[0] += 1
        token = _inside.set(True)
        try:
            return await method(self, *args, **kwargs)
        finally:
            _inside.reset(token)

    setattr(counted, _MARK, True)
    return counted


def install() -> None:
    """Wraps the clients' statement methods; idempotent (once per process is enough)."""
    for cls in _CLASSES:
        for name in _METHODS:
            method = vars(cls).get(name)
            if method is not None and not getattr(method, _MARK, False):
                setattr(cls, name, _counting(method))
