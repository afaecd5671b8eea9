"""Counting the SQL statements a piece of work sends, on SQLite and PostgreSQL alike.

Used by statement-count guards: a hot query must cost a constant number of statements
whatever the number of rows.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from tortoise.backends.asyncpg import client as asyncpg_client
from tortoise.backends.sqlite import client as sqlite_client

CLASSES = (
    sqlite_client.SqliteClient,
    sqlite_client.SqliteTransactionWrapper,
    asyncpg_client.AsyncpgDBClient,
    asyncpg_client.TransactionWrapper,
)
METHODS = (
    "execute_insert",
    "execute_many",
    "execute_query",
    "execute_query_dict",
    "execute_query_dict_with_affected",
    "execute_script",
)
_inside = contextvars.ContextVar("inside_sql_call", default=False)


def in_background_pipeline() -> bool:
    """The outbox relay's sweep runs on its own timer: its statements are no request's cost."""
    task = asyncio.current_task()
    code = getattr(task.get_coro(), "cr_code", None) if task is not None else None
    return code is not None and "/realtime/" in code.co_filename.replace("\\", "/")


def one_line(query: str) -> str:
    """A statement as one line, whitespace collapsed, so logs compare and print alike."""
    return " ".join(str(query).split())


class Statements(list[str]):
    def matching(self, fragment: str) -> list[str]:
        return [s for s in self if fragment.lower() in s.lower()]


def _wrap(method: Callable[..., Any], log: Statements) -> Callable[..., Any]:
    @functools.wraps(method)
    async def counted(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
        if _inside.get() or in_background_pipeline():  # a nested call is still one statement
            return await method(self, query, *args, **kwargs)
        log.append(one_line(query))
        token = _inside.set(True)
        try:
            return await method(self, query, *args, **kwargs)
        finally:
            _inside.reset(token)

    return counted


@contextmanager
def count_statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[Statements]:
    log = Statements()
    with monkeypatch.context() as patch:
        for cls in CLASSES:
            for name in METHODS:
                if name in vars(cls):
                    patch.setattr(cls, name, _wrap(vars(cls)[name], log))
        yield log
