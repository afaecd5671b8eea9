"""Redis pub/sub as a broadcaster backend whose listener survives Redis restarts.

Replaces broadcaster's own Redis backend, which connects once: after a Redis restart its
listener ends (or waits forever) and nothing tells the feeds. Here one heartbeat channel is
always subscribed, so the listener never idles out of ``listen()`` and a dropped connection
surfaces at once; ``subscribe`` returns once Redis confirmed it, so a feed that reads the table
right after cannot miss an envelope published in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import redis.asyncio as redis_asyncio

from realtime.bus_link import BusUnavailable, ReconnectingBackend

log = logging.getLogger("aescrm.bus")
_HEARTBEAT = "aescrm:bus"


class RedisBackend(ReconnectingBackend):
    link_errors = (OSError, redis_asyncio.RedisError)

    def __init__(
        self, url: str, reconnected: Callable[[], None], *, max_backoff: float = 2.0
    ) -> None:
        super().__init__(reconnected, max_backoff=max_backoff)
        self._client = redis_asyncio.from_url(url, socket_connect_timeout=2, socket_keepalive=True)
        self._wanted.add(_HEARTBEAT)
        self._pubsub: Any = None
        self._confirmations: dict[str, list[asyncio.Future[None]]] = {}

    async def disconnect(self) -> None:
        await super().disconnect()
        await self._client.aclose()

    async def publish(self, channel: str, message: Any) -> None:
        try:
            await self._client.publish(channel, message)
        except self.link_errors as error:
            raise BusUnavailable(str(error)) from error

    async def subscribe(self, channel: str) -> None:
        """Returns once Redis confirmed the subscription (or the listener is down: then the
        reconnect subscribes it and feeds catch up from the table anyway)."""
        self._wanted.add(channel)
        if not self.up or self._pubsub is None:
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
        if self.up and self._pubsub is not None:
            with contextlib.suppress(OSError, redis_asyncio.RedisError):
                await self._pubsub.unsubscribe(channel)

    async def ping(self) -> bool:
        try:
            return bool(await self._client.ping())
        except self.link_errors:
            return False

    async def _session(self) -> None:
        pubsub = self._client.pubsub()
        try:
            subscribed: set[str] = set()
            # A channel wanted while these SUBSCRIBEs ran is subscribed before going live.
            while missing := self._wanted - subscribed:
                await pubsub.subscribe(*missing)
                subscribed |= missing
            self._pubsub = pubsub
            self._now_up()
            async for message in pubsub.listen():
                self._handle(message)
        finally:
            self._pubsub = None
            with contextlib.suppress(Exception):
                await pubsub.aclose()

    def _handle(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        name = channel.decode() if isinstance(channel, bytes) else str(channel)
        if message.get("type") == "message" and name != _HEARTBEAT:
            data = message["data"]
            self._received(name, data.decode(errors="replace") if isinstance(data, bytes) else data)
        elif message.get("type") == "subscribe":
            for waiter in self._confirmations.pop(name, []):
                if not waiter.done():
                    waiter.set_result(None)

    def _lost(self) -> None:
        for waiters in self._confirmations.values():
            for waiter in waiters:
                if not waiter.done():
                    waiter.set_result(None)
        self._confirmations.clear()


__all__ = ["RedisBackend"]
