"""Handing a pooled PostgreSQL connection back without a reset query.

asyncpg resets a connection on its way back to the pool with ``SELECT pg_advisory_unlock_all();
CLOSE ALL; UNLISTEN *; RESET ALL`` — one more round trip (and one more transaction in
``pg_stat_database``) after every autocommit statement: half of a board request's exchanges.
The pool's connections carry no session state to undo: advisory locks are transaction-scoped
(``pg_advisory_xact_lock``), settings are ``SET LOCAL``, cursors live inside transactions, and
LISTEN runs on the bus's own connections (``realtime/bus_postgres.py``), never on a pooled one.
asyncpg still rolls back a transaction left open before calling the pool's ``reset`` hook
(``Connection._reset``), so nothing uncommitted can leak to the next borrower.
"""

from __future__ import annotations

import asyncpg

__all__ = ["keep_session"]


async def keep_session(connection: asyncpg.Connection) -> None:
    """The pool's ``reset`` hook: nothing to reset (see the module docstring)."""
