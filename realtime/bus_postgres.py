"""PostgreSQL LISTEN/NOTIFY as a broadcaster backend, for deployments with no Redis.

Several workers (or hosts) sharing one PostgreSQL can wake each other's feeds without another
server to run. broadcaster's own PostgreSQL backend connects once and never notices a dropped
connection (its listener then waits forever and nothing tells the feeds), so this one watches
its connection (asyncpg's termination callback, and a ``SELECT 1`` every few seconds for a
silently dead network), reconnects with backoff and LISTENs again to every wanted channel.

One connection per process does everything, one statement at a time (asyncpg runs one at a
time per connection): LISTEN/UNLISTEN, the heartbeat and ``pg_notify``. PostgreSQL delivers a
notification to every session listening, the sender's included, in commit order, so envelopes
of one practice arrive in sequence order as they do over Redis. The URL must reach PostgreSQL
itself: a transaction-pooling proxy (PgBouncer) does not carry LISTEN.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any

import asyncpg

from realtime.bus_link import BusUnavailable, ReconnectingBackend

MAX_CHANNEL_BYTES = 63  # PostgreSQL identifiers (NAMEDATALEN - 1); longer names are truncated
HEARTBEAT_SECONDS = 5.0
_STATEMENT_TIMEOUT = 2.0


class PostgresBackend(ReconnectingBackend):
    link_errors = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)

    def __init__(
        self,
        url: str,
        reconnected: Callable[[], None],
        *,
        max_backoff: float = 2.0,
        heartbeat_seconds: float = HEARTBEAT_SECONDS,
    ) -> None:
        super().__init__(reconnected, max_backoff=max_backoff)
        self._url = url
        self._heartbeat = heartbeat_seconds
        self._conn: Any = None
        self._turn = asyncio.Lock()  # one statement at a time on the connection

    async def publish(self, channel: str, message: Any) -> None:
        text = message.decode() if isinstance(message, bytes) else str(message)
        conn = self._conn
        if conn is None:
            raise BusUnavailable("bus down")
        try:
            async with self._turn:
                await conn.execute(
                    "SELECT pg_notify($1, $2)", channel, text, timeout=_STATEMENT_TIMEOUT
                )
        except self.link_errors as error:
            raise BusUnavailable(str(error) or type(error).__name__) from error

    async def subscribe(self, channel: str) -> None:
        """Returns once PostgreSQL ran the LISTEN (or the link is down: then the reconnect
        listens and feeds catch up from the table anyway)."""
        self._wanted.add(channel)
        conn = self._conn
        if conn is None:
            return
        with contextlib.suppress(*self.link_errors):
            async with self._turn:
                await conn.add_listener(channel, self._notified)

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        conn = self._conn
        if conn is None:
            return
        with contextlib.suppress(*self.link_errors):
            async with self._turn:
                await conn.remove_listener(channel, self._notified)

    async def ping(self) -> bool:
        try:
            conn = self._conn
            if conn is not None:
                async with self._turn:
                    return bool(await conn.fetchval("SELECT 1", timeout=_STATEMENT_TIMEOUT) == 1)
            probe = await asyncpg.connect(self._url, timeout=_STATEMENT_TIMEOUT)
            try:
                return bool(await probe.fetchval("SELECT 1", timeout=_STATEMENT_TIMEOUT) == 1)
            finally:
                await probe.close(timeout=_STATEMENT_TIMEOUT)
        except self.link_errors:
            return False

    async def _session(self) -> None:
        conn = await asyncpg.connect(self._url, timeout=_STATEMENT_TIMEOUT)
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _: lost.set())
        try:
            async with self._turn:
                listening: set[str] = set()
                # A channel wanted while these LISTENs ran is listened to before going live.
                while missing := self._wanted - listening:
                    for channel in sorted(missing):
                        await conn.add_listener(channel, self._notified)
                        listening.add(channel)
                self._conn = conn
            self._now_up()
            while not lost.is_set():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(lost.wait(), self._heartbeat)
                    break
                async with self._turn:
                    await conn.fetchval("SELECT 1", timeout=_STATEMENT_TIMEOUT)
        finally:
            self._conn = None
            conn.terminate()

    def check_channel(self, channel: str) -> None:
        if len(channel.encode()) > MAX_CHANNEL_BYTES:
            raise ValueError(f"channel name longer than {MAX_CHANNEL_BYTES} bytes: {channel!r}")

    def _notified(self, _conn: object, _pid: int, channel: str, payload: str) -> None:
        if channel in self._wanted:
            self._received(channel, payload)


__all__ = ["MAX_CHANNEL_BYTES", "PostgresBackend"]
