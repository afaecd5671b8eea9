"""The event bus: ``broadcaster`` in memory (one process) or over Redis (many processes).

Only thin envelopes travel here (type, practice, sequence, ids), never patient data.
"""

from __future__ import annotations

import redis.asyncio as redis_asyncio
from broadcaster import Broadcast


class Bus:
    def __init__(self, url: str) -> None:
        self.url = url
        self.broadcast = Broadcast(url)
        self._redis = redis_asyncio.from_url(url) if url.startswith("redis") else None

    async def connect(self) -> None:
        await self.broadcast.connect()

    async def disconnect(self) -> None:
        await self.broadcast.disconnect()
        await self.close_client()

    async def close_client(self) -> None:
        if self._redis is not None:
            await self._redis.aclose()

    async def ping(self) -> bool:
        """Readiness: can this process reach the bus right now?"""
        if self._redis is None:
            return True
        try:
            return bool(await self._redis.ping())
        except (OSError, redis_asyncio.RedisError):
            return False

    async def publish(self, channel: str, message: str) -> None:
        await self.broadcast.publish(channel=channel, message=message)
