"""Request rate limits: GCRA buckets, shared through Redis when there is one, else per process.

GCRA (the generic cell rate algorithm, as in redis-cell and Brandur Leach's write-up) keeps one
number per key: the theoretical arrival time (TAT) of the next request. A request is allowed
when ``now >= TAT - burst``; allowing it moves TAT on by one emission interval. With a burst of a
minute's worth of requests it behaves like a token bucket holding ``per_minute`` tokens that
refills continuously, and it needs one key per client with a TTL, not a list of timestamps.
A request may cost more than one unit (``charge(key, cost)``: TAT moves on by ``cost``
intervals), which is what the query-cost budgets (``graph.budgets``) use; a cost of 0 only
reads the bucket.

With Redis the check-and-update runs as one Lua script (atomic on the server, Redis' own clock),
so every worker and every process shares the same buckets. When Redis cannot be reached the
limiter falls back to its in-process buckets for a short while, so an outage degrades limits to
per-process instead of failing requests or letting everything through; each change is one log
line.
"""

from __future__ import annotations

import logging
import math
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as redis_asyncio

from graph.script_batches import Script, ScriptBatcher

log = logging.getLogger("aescrm.rate_limits")

REDIS_RETRY_SECONDS = 5.0  # after a Redis failure, stay on local buckets this long

# One GCRA bucket: the key, its emission interval and burst tolerance (both microseconds), the
# cost in units and Redis' clock. Returns wait (0 when allowed, else the microseconds until this
# cost would be) and backlog: the bucket's TAT minus now after the call (how long until it is
# full again), from which the units left follow. A cost of 0 only reads the bucket.
GCRA_FUNCTION = """
local function gcra(key, interval, tolerance, cost, now)
  local tat = tonumber(redis.call('GET', key)) or now
  if tat < now then tat = now end
  local next_tat = tat + interval * cost
  local allow_at = next_tat - tolerance
  if now < allow_at then
    return math.ceil(allow_at - now), tat - now
  end
  if cost > 0 then
    redis.call('SET', key, string.format('%.0f', next_tat), 'PX',
      math.max(1, math.ceil((next_tat - now) / 1000)))
  end
  return 0, next_tat - now
end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
"""

# KEYS[1]: the bucket. ARGV: interval, tolerance, cost (1 when absent). Returns {wait, backlog}.
GCRA_SCRIPT = (
    GCRA_FUNCTION
    + """
local cost = tonumber(ARGV[3] or '1')
local wait, backlog = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), cost, now)
return {wait, backlog}
"""
)

# A request's two charges in one call: one unit from KEYS[1] (the per-request limit: ARGV[1]
# interval, ARGV[2] tolerance) and, only when that was allowed, ARGV[5] units from KEYS[2] (the
# query-cost budget: ARGV[3], ARGV[4]); a refused request only reads its budget.
# Returns {wait, backlog} of the first and then of the second.
PAIR_SCRIPT = (
    GCRA_FUNCTION
    + """
local wait1, backlog1 = gcra(KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), 1, now)
local cost = tonumber(ARGV[5])
if wait1 > 0 then cost = 0 end
local wait2, backlog2 = gcra(KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]), cost, now)
return {wait1, backlog1, wait2, backlog2}
"""
)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One charge's answer: ``wait`` is 0 when it was allowed (and counted), else the seconds
    until the same cost would be; ``remaining`` the units left, ``reset`` the seconds until the
    bucket is full again."""

    wait: float
    remaining: int
    reset: float

    @property
    def allowed(self) -> bool:
        return self.wait <= 0


def _units_left(tolerance: float, backlog: float, interval: float) -> int:
    # The epsilon absorbs float error (a bucket 3 intervals short must say 3 units, not 2).
    return max(0, math.floor((tolerance - backlog) / interval + 1e-9))


class Limiter(Protocol):
    per_minute: int

    async def wait(self, key: str) -> float:
        """0 when ``key`` may make a request now (and it is counted), else seconds to wait."""

    async def charge(self, key: str, cost: int) -> Verdict:
        """Takes ``cost`` units when the bucket holds them (all or nothing)."""

    async def close(self) -> None: ...


class MemoryLimiter:
    """GCRA buckets in this process (bounded: the least recently seen keys are dropped)."""

    def __init__(self, per_minute: int, max_keys: int = 50_000) -> None:
        self.per_minute = per_minute
        self.interval = 60.0 / per_minute
        self.tolerance = self.interval * per_minute
        self.max_keys = max_keys
        self.arrivals: OrderedDict[str, float] = OrderedDict()

    def take(self, key: str) -> float:
        return self.take_units(key, 1).wait

    def take_units(self, key: str, cost: int) -> Verdict:
        now = time.monotonic()
        tat = max(self.arrivals.pop(key, now), now)
        next_tat = tat + self.interval * cost
        allow_at = next_tat - self.tolerance
        if now < allow_at:
            self.arrivals[key] = tat
            return Verdict(
                allow_at - now, _units_left(self.tolerance, tat - now, self.interval), tat - now
            )
        self.arrivals[key] = next_tat
        if len(self.arrivals) > self.max_keys:
            self.arrivals.popitem(last=False)
        backlog = next_tat - now
        return Verdict(0.0, _units_left(self.tolerance, backlog, self.interval), backlog)

    async def wait(self, key: str) -> float:
        return self.take(key)

    async def charge(self, key: str, cost: int) -> Verdict:
        return self.take_units(key, cost)

    async def close(self) -> None:
        return None


class RedisLimiter:
    """The same buckets in Redis, shared by every process; local buckets while Redis is away."""

    def __init__(self, url: str, per_minute: int, prefix: str) -> None:
        self.url = url
        self.per_minute = per_minute
        self.interval_us = max(1, round(60_000_000 / per_minute))  # 0 would divide by zero
        self.tolerance_us = self.interval_us * per_minute
        self.prefix = prefix
        self.fallback = MemoryLimiter(per_minute)
        self.client: Any = redis_asyncio.from_url(
            url, socket_connect_timeout=0.5, socket_timeout=0.5
        )
        self.script = ScriptBatcher(self.client, GCRA_SCRIPT)  # one write per loop turn
        self.redis_down_until = 0.0
        self.shared = True  # False while Redis is away: logged once per change, at INFO (the
        # same Redis being down is the bus's WARNING already)

    async def wait(self, key: str) -> float:
        return (await self.charge(key, 1)).wait

    async def charge(self, key: str, cost: int) -> Verdict:
        if not self.reachable():
            return self.fallback.take_units(key, cost)
        try:
            waited, backlog = await self.script(
                keys=[self.prefix + key], args=[self.interval_us, self.tolerance_us, cost]
            )
        except (OSError, TimeoutError, redis_asyncio.RedisError) as error:
            self._lost(error)
            return self.fallback.take_units(key, cost)
        self._found()
        return self._verdict(waited, backlog)

    async def charge_after(
        self, first: RedisLimiter, first_key: str, key: str, cost: int
    ) -> tuple[Verdict, Verdict]:
        """One unit from ``first``'s bucket and then, when it was allowed, ``cost`` from this
        one's: one script, one round trip (``PAIR_SCRIPT``). ``first`` is on the same Redis."""
        if not (self.reachable() and first.reachable()):
            return first.fallback.take_units(first_key, 1), self.fallback.take_units(key, 0)
        args = [first.interval_us, first.tolerance_us, self.interval_us, self.tolerance_us, cost]
        try:
            wait1, backlog1, wait2, backlog2 = await self.script(
                keys=[first.prefix + first_key, self.prefix + key], args=args, script=PAIR
            )
        except (OSError, TimeoutError, redis_asyncio.RedisError) as error:
            self._lost(error)
            one = first.fallback.take_units(first_key, 1)
            return one, self.fallback.take_units(key, cost if one.allowed else 0)
        self._found()
        return first._verdict(wait1, backlog1), self._verdict(wait2, backlog2)

    def reachable(self) -> bool:
        return time.monotonic() >= self.redis_down_until

    def _verdict(self, waited: int, backlog: int) -> Verdict:
        left = _units_left(self.tolerance_us, int(backlog), self.interval_us)
        return Verdict(int(waited) / 1_000_000, left, int(backlog) / 1_000_000)

    def _lost(self, error: Exception) -> None:
        self.redis_down_until = time.monotonic() + REDIS_RETRY_SECONDS
        if self.shared:
            self.shared = False
            log.info("rate limits per process", extra={"error": type(error).__name__})

    def _found(self) -> None:
        if not self.shared:
            self.shared = True
            log.info("rate limits shared again")

    async def close(self) -> None:
        await self.script.close()
        await self.client.aclose()


PAIR = Script(PAIR_SCRIPT)


async def charge_both(
    first: Limiter, first_key: str, second: Limiter, second_key: str, cost: int
) -> tuple[Verdict, Verdict]:
    """A request's unit from ``first`` and, when it was allowed, its ``cost`` from ``second``
    (a refused request only reads ``second``). Both in Redis: one round trip."""
    if (
        isinstance(first, RedisLimiter)
        and isinstance(second, RedisLimiter)
        and (first.url == second.url)
    ):
        return await second.charge_after(first, first_key, second_key, cost)
    one = await first.charge(first_key, 1)
    return one, await second.charge(second_key, cost if one.allowed else 0)


def build_limiter(per_minute: int, redis_url: str | None, prefix: str) -> Limiter:
    if redis_url is None:
        return MemoryLimiter(per_minute)
    return RedisLimiter(redis_url, per_minute, prefix)


__all__ = [
    "GCRA_SCRIPT",
    "PAIR_SCRIPT",
    "Limiter",
    "MemoryLimiter",
    "RedisLimiter",
    "Verdict",
    "build_limiter",
    "charge_both",
]
