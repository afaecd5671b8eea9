"""Request rate limits: GCRA buckets, shared through Redis when there is one, else per process.

GCRA (the generic cell rate algorithm, as in redis-cell and Brandur Leach's write-up) keeps one
number per key: the theoretical arrival time (TAT) of the next request. A request is allowed
when ``now >= TAT - burst``; allowing it moves TAT on by one emission interval. With a burst of a
minute's worth of requests it behaves like a token bucket holding ``per_minute`` tokens that
refills continuously, and it needs one key per client with a TTL, not a list of timestamps.

With Redis the check-and-update runs as one Lua script (atomic on the server, Redis' own clock),
so every worker and every process shares the same buckets. When Redis cannot be reached the
limiter falls back to its in-process buckets for a short while, so an outage degrades limits to
per-process instead of failing requests or letting everything through; each change is one log
line.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from typing import Any, Protocol

import redis.asyncio as redis_asyncio

log = logging.getLogger("aescrm.rate_limits")

REDIS_RETRY_SECONDS = 5.0  # after a Redis failure, stay on local buckets this long

# KEYS[1]: the bucket. ARGV[1]: emission interval, ARGV[2]: burst tolerance (both microseconds).
# Returns 0 when allowed, else the microseconds until the next request would be.
GCRA_SCRIPT = """
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local next_tat = tat + interval
local allow_at = next_tat - tolerance
if now < allow_at then
  return math.ceil(allow_at - now)
end
redis.call('SET', KEYS[1], string.format('%.0f', next_tat), 'PX',
  math.max(1, math.ceil((next_tat - now) / 1000)))
return 0
"""


class Limiter(Protocol):
    async def wait(self, key: str) -> float:
        """0 when ``key`` may make a request now (and it is counted), else seconds to wait."""

    async def close(self) -> None: ...


class MemoryLimiter:
    """GCRA buckets in this process (bounded: the least recently seen keys are dropped)."""

    def __init__(self, per_minute: int, max_keys: int = 50_000) -> None:
        self.interval = 60.0 / per_minute
        self.tolerance = self.interval * per_minute
        self.max_keys = max_keys
        self.arrivals: OrderedDict[str, float] = OrderedDict()

    def take(self, key: str) -> float:
        now = time.monotonic()
        tat = max(self.arrivals.pop(key, now), now)
        next_tat = tat + self.interval
        allow_at = next_tat - self.tolerance
        if now < allow_at:
            self.arrivals[key] = tat
            return allow_at - now
        self.arrivals[key] = next_tat
        if len(self.arrivals) > self.max_keys:
            self.arrivals.popitem(last=False)
        return 0.0

    async def wait(self, key: str) -> float:
        return self.take(key)

    async def close(self) -> None:
        return None


class RedisLimiter:
    """The same buckets in Redis, shared by every process; local buckets while Redis is away."""

    def __init__(self, url: str, per_minute: int, prefix: str) -> None:
        self.interval_us = round(60_000_000 / per_minute)
        self.tolerance_us = self.interval_us * per_minute
        self.prefix = prefix
        self.fallback = MemoryLimiter(per_minute)
        self.client: Any = redis_asyncio.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        self.script = self.client.register_script(GCRA_SCRIPT)
        self.redis_down_until = 0.0
        self.shared = True  # False while Redis is away: logged once per change, at INFO (the
        # same Redis being down is the bus's WARNING already)

    async def wait(self, key: str) -> float:
        if time.monotonic() < self.redis_down_until:
            return self.fallback.take(key)
        try:
            waited = await self.script(
                keys=[self.prefix + key], args=[self.interval_us, self.tolerance_us]
            )
        except (OSError, TimeoutError, redis_asyncio.RedisError) as error:
            self.redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
            if self.shared:
                self.shared = False
                log.info("rate limits per process", extra={"error": type(error).__name__})
            return self.fallback.take(key)
        if not self.shared:
            self.shared = True
            log.info("rate limits shared again")
        return int(waited) / 1_000_000

    async def close(self) -> None:
        await self.client.aclose()


def build_limiter(per_minute: int, redis_url: str | None, prefix: str) -> Limiter:
    if redis_url is None:
        return MemoryLimiter(per_minute)
    return RedisLimiter(redis_url, per_minute, prefix)


__all__ = ["GCRA_SCRIPT", "Limiter", "MemoryLimiter", "RedisLimiter", "build_limiter"]
