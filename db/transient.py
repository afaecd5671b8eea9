"""Recognising database failures that are worth retrying: lock waits and serialisation.

SQLite answers "database is locked" when its busy timeout runs out; PostgreSQL reports
serialisation failures, deadlocks and lock timeouts by SQLSTATE. None of them means the request
was wrong: the same request can succeed a moment later, so callers retry or say so.
"""

from __future__ import annotations

# serialization_failure, deadlock_detected, lock_not_available
_POSTGRES_STATES = frozenset({"40001", "40P01", "55P03"})
_SQLITE_MESSAGES = ("database is locked", "database table is locked", "database is busy")


def is_transient(error: BaseException) -> bool:
    """True for a lock or serialisation failure, looking through wrapped causes."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if getattr(current, "sqlstate", None) in _POSTGRES_STATES:
            return True
        text = str(current).lower()
        if any(message in text for message in _SQLITE_MESSAGES):
            return True
        current = current.__cause__ or current.__context__
    return False
