"""What a networked bus backend shares: a listener that survives its server, and one health flag.

``broadcaster``'s own Redis and PostgreSQL backends connect once and never notice a drop (the
listener then waits forever while publishes fail), and queue without bound. Feeds rely on two
things instead: ``up`` going False the moment the link is lost (they read the event table on a
timer meanwhile) and a call to ``reconnected`` once it is back (they catch up from the table,
since pub/sub dropped whatever was sent in between). A subclass supplies ``_session``: connect,
subscribe every wanted channel, call ``_now_up`` and return or raise only when the link is gone.

Each change of state is logged once ("bus down" with the reason, "bus up" with the outage's
length), never per attempt. Messages wait for broadcaster's reader in a bounded inbox: if that
ever fills (the process stalled), later messages are dropped and feeds are told to catch up from
the table, which is where every event is anyway.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable

from broadcaster import BroadcastBackend, Event

log = logging.getLogger("aescrm.bus")

INBOX = 10_000  # envelopes; each is ~100 bytes and one wakes a whole feed


class BusUnavailable(ConnectionError):
    """The bus cannot be reached now (already logged once as "bus down")."""


class ReconnectingBackend(BroadcastBackend):
    """A ``BroadcastBackend`` whose listener reconnects with backoff and re-subscribes."""

    link_errors: tuple[type[BaseException], ...] = (OSError,)

    def __init__(self, reconnected: Callable[[], None], *, max_backoff: float = 2.0) -> None:
        # BroadcastBackend.__init__ only raises NotImplementedError: not called.
        self._reconnected = reconnected
        self._max_backoff = max_backoff
        self._backoff = 0.05
        self._wanted: set[str] = set()
        self._live = asyncio.Event()
        self._inbox: asyncio.Queue[Event] = asyncio.Queue(INBOX)
        self._overflowed = False
        self._task: asyncio.Task[None] | None = None
        self._connected_once = False
        self._down_since: float | None = None  # monotonic time the outage was logged

    @property
    def up(self) -> bool:
        return self._live.is_set()

    async def connect(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            # Start serving even if the server is down; the listener keeps trying.
            await asyncio.wait_for(self._live.wait(), timeout=5)

    async def disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self._live.clear()

    def check_channel(self, channel: str) -> None:
        """Raises ValueError for a name this backend cannot carry."""

    async def next_published(self) -> Event:
        """Never raises: broadcaster's reader task ends for good on any exception."""
        event = await self._inbox.get()
        if self._overflowed and self._inbox.empty():
            self._overflowed = False
            self._reconnected()  # the dropped envelopes' events are in the table
        return event

    def _received(self, channel: str, message: str) -> None:
        try:
            self._inbox.put_nowait(Event(channel=channel, message=message))
        except asyncio.QueueFull:
            if not self._overflowed:
                log.warning("bus inbox full; feeds will catch up from the event table")
            self._overflowed = True

    async def _session(self) -> None:
        raise NotImplementedError

    def _now_up(self) -> None:
        """Called by ``_session`` once every wanted channel is subscribed."""
        self._live.set()
        self._backoff = 0.05
        channels = len(self._wanted)
        if self._down_since is not None:
            seconds = round(time.monotonic() - self._down_since, 1)
            log.info("bus up", extra={"down_seconds": seconds, "channels": channels})
        elif not self._connected_once:
            log.info("bus connected", extra={"channels": channels})
        self._down_since = None
        if self._connected_once:
            self._reconnected()
        self._connected_once = True

    async def _listen_forever(self) -> None:
        while True:
            try:
                await self._session()
                self._went_down("connection closed")
            except asyncio.CancelledError:
                raise
            except self.link_errors as error:
                self._went_down(str(error) or type(error).__name__)
            except Exception as error:  # a bug must not end the listener: log it, keep trying
                self._went_down(f"{type(error).__name__}: {error}", failure=error)
            finally:
                self._live.clear()
                self._lost()
            await asyncio.sleep(self._backoff)
            self._backoff = min(self._backoff * 2, self._max_backoff)

    def _lost(self) -> None:
        """The link is gone: release whatever waits on it (subclasses)."""

    def _went_down(self, reason: str, failure: Exception | None = None) -> None:
        """Logs the outage once; later failed attempts (every backoff) log nothing."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "bus down",
                exc_info=failure,
                extra={"reason": reason, "fallback": "feeds poll the event table"},
            )


__all__ = ["BusUnavailable", "ReconnectingBackend"]
