"""Recognising database failures that are worth retrying: lock waits and serialisation, and
a database that cannot be reached.

SQLite answers "database is locked" when its busy timeout runs out; PostgreSQL reports
serialisation failures, deadlocks and lock timeouts by SQLSTATE. None of them means the request
was wrong: the same request can succeed a moment later, so callers retry or say so.

A PostgreSQL that is down, restarting or refusing connections (refused or reset sockets,
SQLSTATE class 08, 57P01-57P03, 53300, or a connection asyncpg finds left mid-exchange) is not
the request's fault either: ``is_unavailable``.
"""

from __future__ import annotations

from asyncpg.exceptions import InternalClientError

# serialization_failure, deadlock_detected, lock_not_available
_POSTGRES_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


# admin_shutdown, crash_shutdown, cannot_connect_now, too_many_connections; class 08: connection
_UNREACHABLE_STATES = frozenset({"57P01", "57P02", "57P03", "53300"})


def _chain(error: BaseException) -> list[BaseException]:
    """``error`` and the causes it wraps, outermost first."""
    seen: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and all(current is not s for s in seen):
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def is_transient(error: BaseException) -> bool:
    """True for a lock or serialisation failure, looking through wrapped causes."""
    for current in _chain(error):
        if getattr(current, "sqlstate", None) in _POSTGRES_STATES:
            return True
        text = str(current).lower()
        if any(message in text for message in _SQLITE_MESSAGES):
            return True
    return False


def is_unavailable(error: BaseException) -> bool:
    """True when the database could not be reached or dropped the connection (restarting, down,
    out of connections), looking through wrapped causes."""
    for current in _chain(error):
        state = str(getattr(current, "sqlstate", None) or "")
        if state in _UNREACHABLE_STATES or state.startswith("08"):
            return True
        if isinstance(current, ConnectionError):  # refused, reset, aborted
            return True
        # A pool connection left mid-exchange by a server that went away ("cannot switch to
        # state 12; another operation (2) is in progress"): found by the drill during a
        # PostgreSQL restart, while a request was being authenticated.
        if isinstance(current, InternalClientError):
            return True
    return False
