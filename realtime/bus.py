"""The event bus: in memory (one process) or Redis pub/sub (many processes).

Only thin envelopes travel here (topic, practice, sequence), never patient data. This replaces
``broadcaster`` 0.3.1, whose Redis backend never reconnects and queues without bound: here a
listener callback gets each message (callers keep O(1) state per channel), the Redis listener
reconnects with backoff, re-subscribes every channel and then tells ``on_reconnect`` hooks so
feeds catch up from the event table. Pub/sub stays at-most-once; the table makes up for it.

The listener is also the bus's health: ``up`` is False from the moment its connection drops
until it is subscribed again. Each change is logged once ("bus down" with the reason, "bus up"
with the outage's length), never per attempt; publishing while down raises
:class:`BusUnavailable` without trying, so callers can stay quiet and leave rows for later.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any, Protocol

import redis.asyncio as redis_asyncio

log = logging.getLogger("aescrm.bus")

Handler = Callable[[bytes], None]
_HEARTBEAT = "aescrm:bus"  # always subscribed, so the listener never idles out of listen()


class BusUnavailable(ConnectionError):
    """The bus cannot be reached now (already logged once as "bus down")."""


class Backend(Protocol):
    @property
    def up(self) -> bool: ...

    async def connect(self) -> None: ...
    async def disconnect(self) -> None: ...
    async def publish(self, channel: str, message: bytes) -> None: ...
    async def subscribe(self, channel: str) -> None: ...
    async def unsubscribe(self, channel: str) -> None: ...
    async def ping(self) -> bool: ...


class Bus:
    def __init__(self, url: str) -> None:
        self.url = url
        self._handlers: dict[str, list[Handler]] = {}
        self._reconnect_hooks: list[Callable[[], None]] = []
        self._backend: Backend = (
            RedisBackend(url, self._dispatch, self._reconnected)
            if url.startswith(("redis://", "rediss://", "unix://"))
            else MemoryBackend(self._dispatch)
        )

    async def connect(self) -> None:
        await self._backend.connect()

    async def disconnect(self) -> None:
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
        if not self._backend.up:
            raise BusUnavailable("bus down")
        try:
            await self._backend.publish(channel, message)
        except (OSError, redis_asyncio.RedisError) as error:
            raise BusUnavailable(str(error)) from error

    async def listen(self, channel: str, handler: Handler) -> Callable[[], None]:
        """Calls ``handler`` for each message on ``channel`` once the subscription is live."""
        handlers = self._handlers.setdefault(channel, [])
        handlers.append(handler)
        if len(handlers) == 1:
            await self._backend.subscribe(channel)

        def stop() -> None:
            remaining = self._handlers.get(channel, [])
            if handler in remaining:
                remaining.remove(handler)
            if not remaining and self._handlers.pop(channel, None) is not None:
                task = asyncio.get_running_loop().create_task(self._backend.unsubscribe(channel))
                task.add_done_callback(_log_failure)

        return stop

    def on_reconnect(self, hook: Callable[[], None]) -> None:
        self._reconnect_hooks.append(hook)

    @property
    def channels(self) -> list[str]:
        return list(self._handlers)

    def _dispatch(self, channel: str, message: bytes) -> None:
        for handler in list(self._handlers.get(channel, ())):
            try:
                handler(message)
            except Exception:  # one broken handler must not starve the others
                log.exception("bus handler failed", extra={"channel": channel})

    def _reconnected(self) -> None:
        for hook in list(self._reconnect_hooks):
            hook()


def _log_failure(task: asyncio.Task[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("bus unsubscribe failed", exc_info=task.exception())


class MemoryBackend:
    up = True

    def __init__(self, dispatch: Callable[[str, bytes], None]) -> None:
        self._dispatch = dispatch

    async def connect(self) -> None:
        return None

    async def disconnect(self) -> None:
        return None

    async def publish(self, channel: str, message: bytes) -> None:
        # Delivered on the next loop turn, like a network bus: never inside the publisher.
        asyncio.get_running_loop().call_soon(self._dispatch, channel, message)

    async def subscribe(self, channel: str) -> None:
        return None

    async def unsubscribe(self, channel: str) -> None:
        return None

    async def ping(self) -> bool:
        return True


class RedisBackend:
    """Redis pub/sub with a listener that survives Redis restarts."""

    def __init__(
        self,
        url: str,
        dispatch: Callable[[str, bytes], None],
        reconnected: Callable[[], None],
        *,
        max_backoff: float = 2.0,
    ) -> None:
        self._client = redis_asyncio.from_url(url, socket_connect_timeout=2, socket_keepalive=True)
        self._dispatch = dispatch
        self._reconnected = reconnected
        self._max_backoff = max_backoff
        self._wanted: set[str] = {_HEARTBEAT}
        self._pubsub: Any = None
        self._live = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}
        self._down_since: float | None = None  # monotonic time the outage was logged

    @property
    def up(self) -> bool:
        return self._live.is_set()

    async def connect(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._listen_forever())
        with contextlib.suppress(TimeoutError):
            # Start serving even if Redis is down; the listener keeps trying.
            await asyncio.wait_for(self._live.wait(), timeout=5)

    async def disconnect(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
        await self._client.aclose()

    async def publish(self, channel: str, message: bytes) -> None:
        await self._client.publish(channel, message)

    async def subscribe(self, channel: str) -> None:
        """Returns once Redis confirmed the subscription (or the listener is down: then the
        reconnect subscribes it and feeds catch up from the table anyway)."""
        self._wanted.add(channel)
        if not self._live.is_set() or self._pubsub is None:
            return
        waiter = asyncio.get_running_loop().create_future()
        self._confirmations.setdefault(channel, []).append(waiter)
        try:
            await self._pubsub.subscribe(channel)
            await asyncio.wait_for(waiter, timeout=2)
        except (OSError, TimeoutError, redis_asyncio.RedisError):
            log.warning("subscribe not confirmed; relying on reconnect", extra={"ch": channel})

    async def unsubscribe(self, channel: str) -> None:
        self._wanted.discard(channel)
        if self._live.is_set() and self._pubsub is not None:
            with contextlib.suppress(OSError, redis_asyncio.RedisError):
                await self._pubsub.unsubscribe(channel)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except (OSError, redis_asyncio.RedisError):
            return False

    async def _listen_forever(self) -> None:
        backoff = 0.05
        connected_once = False
        while True:
            pubsub = self._client.pubsub()
            try:
                await pubsub.subscribe(*self._wanted)
                self._pubsub = pubsub
                self._live.set()
                self._went_up(first=not connected_once)
                if connected_once:
                    self._reconnected()
                connected_once, backoff = True, 0.05
                async for message in pubsub.listen():
                    self._handle(message)
            except asyncio.CancelledError:
                raise
            except (OSError, redis_asyncio.RedisError) as error:
                self._went_down(str(error) or type(error).__name__)
            except Exception as error:  # a bug must not end the listener: log it, keep trying
                self._went_down(f"{type(error).__name__}: {error}", failure=error)
            finally:
                self._live.clear()
                self._pubsub = None
                self._fail_confirmations()
                with contextlib.suppress(Exception):
                    await pubsub.aclose()
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, self._max_backoff)

    def _went_up(self, *, first: bool) -> None:
        channels = len(self._wanted)
        if self._down_since is not None:
            seconds = round(time.monotonic() - self._down_since, 1)
            log.info("bus up", extra={"down_seconds": seconds, "channels": channels})
        elif first:
            log.info("bus connected", extra={"channels": channels})
        self._down_since = None

    def _went_down(self, reason: str, failure: Exception | None = None) -> None:
        """Logs the outage once; later failed attempts (every backoff) log nothing."""
        if self._down_since is None:
            self._down_since = time.monotonic()
            log.warning(
                "bus down",
                exc_info=failure,
                extra={"reason": reason, "fallback": "feeds poll the event table"},
            )

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        if message.get("type") == "message" and name != _HEARTBEAT:
            self._dispatch(name, message["data"])
        elif message.get("type") == "subscribe":
            for waiter in self._confirmations.pop(name, []):
                if not waiter.done():
                    waiter.set_result(None)

    def _fail_confirmations(self) -> None:
        for waiters in self._confirmations.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self._confirmations.clear()


__all__ = ["Bus", "BusUnavailable"]
