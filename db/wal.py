"""Pushing SQLite's write-ahead log into the database file after erasing personal data.

In WAL mode every changed page is appended to ``<db>-wal`` and stays there, old versions
included, until a checkpoint: an erased name or address would linger on disk for a while.
``TRUNCATE`` copies the log back and empties the file. PostgreSQL needs nothing here (its WAL
is the server's, recycled on its own schedule).
"""

from __future__ import annotations

import logging

from tortoise import connections

log = logging.getLogger(__name__)


async def checkpoint_after_erasure() -> None:
    for connection in connections.all():
        if type(connection).__module__.startswith("tortoise.backends.sqlite"):
            rows = await connection.execute_query_dict("PRAGMA wal_checkpoint(TRUNCATE)")
            busy = rows[0].get("busy") if rows else 0
            if busy:  # a reader held an old snapshot; the next checkpoint finishes the job
                log.warning("write-ahead log checkpoint after erasure was incomplete")
