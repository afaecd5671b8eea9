"""The event bus: ``broadcaster`` over one of three backends, chosen by the URL.

``memory://`` (one process), ``redis://`` / ``rediss://`` / ``unix://`` (Redis pub/sub) or
``postgres://`` / ``postgresql://`` (PostgreSQL LISTEN/NOTIFY, so several workers need no Redis).
Routing to subscribers is broadcaster's ``Broadcast``; every backend is the project's own,
plugged in through ``Broadcast(backend=...)``: broadcaster 0.3's Redis and PostgreSQL backends
connect once, never notice a drop and queue without bound, while feeds need to know when the bus
is down (they poll the event table meanwhile) and when it is back (they catch up from it).

Only thin envelopes travel here (topic, practice, sequence), never patient data. Pub/sub stays
at-most-once; the event table makes up for it. Callers get callbacks, not queues: one reader per
channel turns broadcaster's per-subscription queue into calls of each handler, so a feed keeps
O(1) state per channel. Publishing while the bus is down raises :class:`BusUnavailable` without
trying, so callers can stay quiet and leave rows for the relay's sweep.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from broadcaster import Broadcast, BroadcastBackend, Event

from realtime.bus_link import BusUnavailable
from realtime.bus_postgres import PostgresBackend
from realtime.bus_redis import RedisBackend

log = logging.getLogger("aescrm.bus")

Handler = Callable[[str], None]
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
POSTGRES_SCHEMES = ("postgres://", "postgresql://")


def backend_for(
    url: str, reconnected: Callable[[], None]
) -> MemoryBackend | RedisBackend | PostgresBackend:
    if url.startswith(REDIS_SCHEMES):
        return RedisBackend(url, reconnected)
    if url.startswith(POSTGRES_SCHEMES):
        return PostgresBackend(url, reconnected)
    if url.startswith("memory://"):
        return MemoryBackend()
    raise ValueError(f"unsupported bus URL {url.split('://')[0]!r}: memory, redis or postgres")


class Bus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._handlers: dict[str, list[Handler]] = {}
        self._readers: dict[str, asyncio.Task[None]] = {}
        self._ready: dict[str, asyncio.Future[None]] = {}
        self._reconnect_hooks: list[Callable[[], None]] = []
        self._backend = backend_for(url, self._reconnected)
        self._broadcast = Broadcast(backend=self._backend)
        self._connected = False

    async def connect(self) -> None:
        await self._broadcast.connect()
        self._connected = True

    async def disconnect(self) -> None:
        readers = list(self._readers.values())
        self._readers.clear()
        self._ready.clear()
        self._handlers.clear()
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
        if self._connected:
            self._connected = False
            await self._broadcast.disconnect()
        else:
            await self._backend.disconnect()

    @property
    def up(self) -> bool:
        """Is the bus connected (the listener subscribed) right now? No I/O."""
        return self._backend.up

    async def ping(self) -> bool:
        """Readiness: can this process reach the bus right now?"""
        return await self._backend.ping()

    async def close_client(self) -> None:
        """Releases a bus used only for ``ping`` (never connected)."""
        await self._backend.disconnect()

    async def publish(self, channel: str, message: bytes) -> None:
        """Raises :class:`BusUnavailable` while the bus is down (nothing is attempted then)."""
        self._backend.check_channel(channel)
        if not self._backend.up:
            raise BusUnavailable("bus down")
        await self._broadcast.publish(channel, message)

    async def listen(self, channel: str, handler: Handler) -> Callable[[], None]:
        """Calls ``handler`` for each message on ``channel`` once the subscription is live."""
        self._backend.check_channel(channel)  # before broadcaster, which fails obscurely
        handlers = self._handlers.setdefault(channel, [])
        handlers.append(handler)
        if channel not in self._readers:
            loop = asyncio.get_running_loop()
            self._ready[channel] = ready = loop.create_future()
            self._readers[channel] = loop.create_task(self._read(channel, ready))

        def stop() -> None:
            remaining = self._handlers.get(channel, [])
            if handler in remaining:
                remaining.remove(handler)
            if not remaining and self._handlers.pop(channel, None) is not None:
                self._ready.pop(channel, None)
                reader = self._readers.pop(channel, None)
                if reader is not None:
                    reader.cancel()  # leaving broadcaster's subscription unsubscribes

        try:
            await asyncio.shield(self._ready[channel])
        except Exception:
            stop()
            raise
        return stop

    def on_reconnect(self, hook: Callable[[], None]) -> None:
        self._reconnect_hooks.append(hook)

    @property
    def channels(self) -> list[str]:
        return list(self._handlers)

    async def _read(self, channel: str, ready: asyncio.Future[None]) -> None:
        try:
            async with self._broadcast.subscribe(channel) as subscription:
                ready.set_result(None)
                while True:
                    event: Event = await subscription.get()
                    self._dispatch(channel, event.message)
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if ready.done():
                log.exception("bus reader failed", extra={"channel": channel})
            else:
                ready.set_exception(error)  # the listen() waiting for it raises
        finally:
            if not ready.done():
                ready.cancel()

    def _dispatch(self, channel: str, message: str) -> None:
        for handler in list(self._handlers.get(channel, ())):
            try:
                handler(message)
            except Exception:  # one broken handler must not starve the others
                log.exception("bus handler failed", extra={"channel": channel})

    def _reconnected(self) -> None:
        for hook in list(self._reconnect_hooks):
            hook()


class MemoryBackend(BroadcastBackend):
    """One process: what is published is delivered on a later loop turn, never inside the
    publisher, as over a network bus. ``up`` is settable so tests can play an outage."""

    def __init__(self) -> None:
        self.up = True
        self._subscribed: set[str] = set()
        self._inbox: asyncio.Queue[Event] = asyncio.Queue()

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, channel: str, message: Any) -> None:
        if channel in self._subscribed:
            text = message.decode() if isinstance(message, bytes) else str(message)
            self._inbox.put_nowait(Event(channel=channel, message=text))

    async def subscribe(self, channel: str) -> None:
        self._subscribed.add(channel)

    async def unsubscribe(self, channel: str) -> None:
        self._subscribed.discard(channel)

    async def next_published(self) -> Event:
        return await self._inbox.get()

    async def ping(self) -> bool:
        return True

    def check_channel(self, channel: str) -> None:
        return None


__all__ = ["Bus", "BusUnavailable", "backend_for"]
