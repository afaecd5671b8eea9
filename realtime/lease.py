"""Who publishes the outbox: one relay at a time across every worker, by a lease with a TTL.

Why a lease and not a lock: the service runs behind PgBouncer in transaction pooling mode, where
a session-level advisory lock (or LISTEN) is held by whichever server connection the pooler
handed out, not by the worker that asked. A lease is plain data with an expiry: a worker that
dies (SIGKILL, host cut off) simply stops renewing and another takes over once it expired.

Where the lease lives follows the bus (``lease_for``):

- **Redis bus**: a Redis key, ``SET key me NX PX ttl`` to take it and a compare-and-renew Lua
  script to keep it. Publishing is *fenced* atomically: the envelopes of a batch go out in one
  Lua script that first checks the key still names this worker, so a worker that lost the
  lease (stalled past the TTL) cannot publish a single envelope, and a batch costs one round
  trip instead of one per envelope. The lease lives where the publishes go: if Redis is
  unreachable nobody can publish anyway, and nothing extra has to be reachable.
- **PostgreSQL bus**: a row of ``relay_lease``, taken and renewed by one statement
  (``UPDATE ... SET holder = me, expires_at = now() + ttl WHERE expires_at < now() OR holder =
  me``); the relay renews it right before each publish batch (its fence). PostgreSQL's clock is
  the only clock consulted, so workers' clocks may disagree.
- **memory bus** (one process, SQLite or a single server): always the leader.

Not exactly-once in every failure: a leader killed between a publish and marking the rows
published leaves them for its successor, which publishes them again; a leader that stalls
longer than the TTL between its fenced publish and its mark can do the same. Feeds deduplicate
by sequence, so a duplicate envelope costs one table read, never a duplicate event.
"""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import uuid
from typing import Any, Protocol

import redis.asyncio as redis_asyncio

from db.models.outbox import RelayLease
from realtime.bus import POSTGRES_SCHEMES, REDIS_SCHEMES, Bus
from realtime.bus_link import BusUnavailable

log = logging.getLogger("aescrm.relay")

# The relay's Redis names below AESCRM_RELAY_KEY_PREFIX's default: its lease and wake channel.
RELAY_KEY_PREFIX = "aescrm:relay:"
LEASE_KEY = RELAY_KEY_PREFIX + "lease"
LEASE_NAME = "outbox"
_REDIS_ERRORS = (OSError, redis_asyncio.RedisError)

# KEYS[1] lease, ARGV[1] holder, ARGV[2] ttl ms: 1 when renewed (still ours), else 0.
_RENEW = """
if redis.call('get', KEYS[1]) == ARGV[1] then
  redis.call('pexpire', KEYS[1], ARGV[2])
  return 1
end
return 0
"""
# KEYS[1] lease, ARGV[1] holder, then channel, message pairs: how many were published, or -1
# (nothing published) when the lease is no longer ours.
_FENCED_PUBLISH = """
if redis.call('get', KEYS[1]) ~= ARGV[1] then return -1 end
for i = 2, #ARGV, 2 do redis.call('publish', ARGV[i], ARGV[i + 1]) end
return (#ARGV - 1) / 2
"""
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""

Batch = list[tuple[str, bytes]]  # (channel, envelope)


def holder_name() -> str:
    """Unique per process start (a restarted worker with the same pid is a new holder)."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class Lease(Protocol):
    holder: str
    exclusive: bool  # False: the only process (no other relay to wake or to defer to)

    async def hold(self) -> bool:
        """Takes or renews the lease; True while this process holds it."""

    async def publish(self, bus: Bus, batch: Batch) -> bool:
        """Publishes the batch only while holding the lease; False (nothing sent) if lost."""

    async def release(self) -> None:
        """Hands the lease back at once (clean shutdown), so the next leader need not wait."""


class SoleLeader:
    """One process (memory bus): always the leader."""

    exclusive = False

    def __init__(self) -> None:
        self.holder = holder_name()

    async def hold(self) -> bool:
        return True

    async def publish(self, bus: Bus, batch: Batch) -> bool:
        for channel, message in batch:
            await bus.publish(channel, message)
        return True

    async def release(self) -> None:
        return None


class RedisLease:
    exclusive = True

    def __init__(self, url: str, ttl_seconds: float, *, key: str = LEASE_KEY) -> None:
        self.holder = holder_name()
        self.key = key  # one per deployment: deployments sharing a Redis use other db numbers
        self.ttl_ms = max(1, round(ttl_seconds * 1000))
        self._client: Any = redis_asyncio.from_url(
            url, socket_connect_timeout=2, socket_timeout=2, socket_keepalive=True
        )
        self._renew = self._client.register_script(_RENEW)
        self._fenced = self._client.register_script(_FENCED_PUBLISH)
        self._release = self._client.register_script(_RELEASE)

    async def hold(self) -> bool:
        try:
            if await self._renew(keys=[self.key], args=[self.holder, self.ttl_ms]):
                return True
            return bool(await self._client.set(self.key, self.holder, nx=True, px=self.ttl_ms))
        except _REDIS_ERRORS:
            return False  # cannot tell: assume not (nothing can be published meanwhile anyway)

    async def publish(self, bus: Bus, batch: Batch) -> bool:
        if not batch:
            return True
        if not bus.up:
            raise BusUnavailable("bus down")
        args: list[Any] = [self.holder]
        for channel, message in batch:
            args += (channel, message)
        try:
            sent = await self._fenced(keys=[self.key], args=args)
        except _REDIS_ERRORS as error:
            raise BusUnavailable(str(error)) from error
        return bool(int(sent) >= 0)

    async def release(self) -> None:
        with contextlib.suppress(*_REDIS_ERRORS):
            await self._release(keys=[self.key], args=[self.holder])
        await self._client.aclose()


# The row exists from the migration; the INSERT only covers a table emptied by hand.
_PG_TAKE = """
UPDATE relay_lease SET holder = $1, expires_at = now() + make_interval(secs => $2)
WHERE name = $3 AND (expires_at < now() OR holder = $1)
RETURNING holder
"""
_PG_SEED = """
INSERT INTO relay_lease (name, holder, expires_at) VALUES ($1, '', now())
ON CONFLICT (name) DO NOTHING
"""
_PG_RELEASE = "UPDATE relay_lease SET expires_at = now() WHERE name = $1 AND holder = $2"


class PostgresLease:
    """A ``relay_lease`` row: plain autocommit statements, fine behind transaction pooling."""

    exclusive = True

    def __init__(self, ttl_seconds: float) -> None:
        self.holder = holder_name()
        self.ttl = float(ttl_seconds)
        self._failing = False

    async def hold(self) -> bool:
        connection = RelayLease._meta.db
        if connection.capabilities.dialect == "sqlite":
            return True  # SQLite is one process's database: nobody else to defer to
        try:
            rows = await connection.execute_query_dict(
                _PG_TAKE, [self.holder, self.ttl, LEASE_NAME]
            )
            if not rows:
                await connection.execute_query(_PG_SEED, [LEASE_NAME])
                rows = await connection.execute_query_dict(
                    _PG_TAKE, [self.holder, self.ttl, LEASE_NAME]
                )
        except Exception:  # the database is down: not the leader until it answers again
            if not self._failing:
                log.warning("relay lease unavailable", exc_info=True)
            self._failing = True
            return False
        self._failing = False
        return bool(rows)

    async def publish(self, bus: Bus, batch: Batch) -> bool:
        if batch and not await self.hold():  # the fence: renewed right before the batch
            return False
        for channel, message in batch:
            await bus.publish(channel, message)
        return True

    async def release(self) -> None:
        with contextlib.suppress(Exception):
            await RelayLease._meta.db.execute_query(_PG_RELEASE, [LEASE_NAME, self.holder])


def lease_for(bus_url: str, ttl_seconds: float, *, key: str = LEASE_KEY) -> Lease:
    """``key``: the Redis key (a Redis bus only; the PostgreSQL lease is a row of the
    deployment's own database)."""
    if bus_url.startswith(REDIS_SCHEMES):
        return RedisLease(bus_url, ttl_seconds, key=key)
    if bus_url.startswith(POSTGRES_SCHEMES):
        return PostgresLease(ttl_seconds)
    return SoleLeader()


__all__ = [
    "LEASE_KEY",
    "RELAY_KEY_PREFIX",
    "Lease",
    "PostgresLease",
    "RedisLease",
    "SoleLeader",
    "lease_for",
]
