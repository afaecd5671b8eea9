"""Two real server processes sharing PostgreSQL and a private Redis: one relay publishes each
event exactly once (counted on the bus itself), a leader killed with SIGKILL is replaced within
5 s by the other, which publishes what was committed meanwhile; and a practice's channel is
subscribed only by the process where its subscribers are connected."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis.asyncio as redis_asyncio

from realtime.channels import channel_for
from realtime.envelopes import Envelope
from tests.databases import PostgresDatabase
from tests.realtime.harness import (
    Client,
    PrivateRedis,
    Server,
    announce,
    practice_with_desk,
    server_env,
    two_servers,
)

TAKEOVER_LIMIT = 5.0


class BusTap:
    """Every envelope published on the bus, as (practice, sequence), counted."""

    def __init__(self, url: str) -> None:
        self.client: Any = redis_asyncio.from_url(url)
        self.seen: Counter[tuple[str, int]] = Counter()
        self.first_seen: dict[tuple[str, int], float] = {}
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> BusTap:
        pubsub = self.client.pubsub()
        await pubsub.psubscribe("practice:*")
        self._task = asyncio.get_running_loop().create_task(self._read(pubsub))
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._task is not None
        self._task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._task
        await self.client.aclose()

    async def _read(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message["type"] != "pmessage":
                    continue
                envelope = Envelope.decode(message["data"])
                assert envelope is not None
                key = (str(envelope.practice_id), envelope.sequence)
                self.seen[key] += 1
                self.first_seen.setdefault(key, time.monotonic())
        finally:
            await pubsub.aclose()

    async def wait_for(self, practice: object, sequences: list[int], within: float) -> None:
        deadline = time.monotonic() + within
        wanted = [(str(practice), s) for s in sequences]
        while not all(key in self.seen for key in wanted):
            assert time.monotonic() < deadline, f"never published: {wanted} (saw {self.seen})"
            await asyncio.sleep(0.02)


@pytest.fixture(scope="module")
def pair(
    postgres_database: PostgresDatabase,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server, Path]]:
    postgres_database.truncate()
    var_dir = tmp_path_factory.mktemp("lease")
    # The default lease (3 s); the poll and grace stay as the harness sets them (0.2 / 0.3 s).
    env = server_env(postgres_database.url, var_dir, private_redis.url)
    with two_servers(env, stop=signal.SIGKILL) as servers:
        yield *servers, var_dir


@pytest.fixture
async def board(
    pair: tuple[Server, Server, Path], postgres_database: PostgresDatabase
) -> AsyncIterator[tuple[Any, str, str]]:
    async with practice_with_desk(postgres_database.url, pair[2]) as board:
        yield board


async def leader_of(redis_url: str, servers: tuple[Server, ...], within: float = 10) -> Server:
    """The server whose pid the lease names (holder is ``host:pid:nonce``)."""
    client: Any = redis_asyncio.from_url(redis_url)
    try:
        deadline = time.monotonic() + within
        while True:
            holder = await client.get(servers[0].env["AESCRM_RELAY_KEY_PREFIX"] + "lease")
            if holder is not None:
                pid = int(holder.decode().split(":")[1])
                for server in servers:
                    assert server.process is not None
                    if server.process.pid == pid and server.process.poll() is None:
                        return server
            assert time.monotonic() < deadline, f"no live server holds the lease ({holder!r})"
            await asyncio.sleep(0.05)
    finally:
        await client.aclose()


async def numsub(redis_url: str, channel: str) -> int:
    client: Any = redis_asyncio.from_url(redis_url)
    try:
        [(_, count)] = await client.pubsub_numsub(channel)
        return int(count)
    finally:
        await client.aclose()


async def test_a_practice_channel_is_subscribed_only_where_its_subscribers_are(
    pair: tuple[Server, Server, Path], board: tuple[Any, str, str], private_redis: PrivateRedis
) -> None:
    first, second, _ = pair
    practice, admin, desk = board
    channel = channel_for(practice.id, "schedule")
    assert await numsub(private_redis.url, channel) == 0
    async with Client.connect(second, desk) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        assert await numsub(private_redis.url, channel) == 1  # the second process only
        sequence = await announce(first, admin, practice.id, "hello")
        assert [e["sequence"] for e in await client.events(1)] == [sequence]
        await client.send({"id": "b", "type": "complete"})
        deadline = time.monotonic() + 5
        while await numsub(private_redis.url, channel):  # unsubscribing leaves the channel
            assert time.monotonic() < deadline, "the channel stayed subscribed"
            await asyncio.sleep(0.05)
    # The relay's wake channel is listened to by the leader alone.
    wake = first.env["AESCRM_RELAY_KEY_PREFIX"] + "wake"
    assert await numsub(private_redis.url, wake) == 1


async def test_each_event_is_published_once_whichever_process_commits_it(
    pair: tuple[Server, Server, Path], board: tuple[Any, str, str], private_redis: PrivateRedis
) -> None:
    first, second, _ = pair
    practice, admin, desk = board
    await leader_of(private_redis.url, (first, second))
    async with BusTap(private_redis.url) as tap, Client.connect(first, desk) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        writers = (first, second)
        sent = [await announce(writers[i % 2], admin, practice.id, f"n{i}") for i in range(20)]
        await tap.wait_for(practice.id, sent, within=5)
        assert [e["sequence"] for e in await client.events(20)] == sent
        await asyncio.sleep(1.0)  # two polls (0.2 s) past the grace (0.3 s): any duplicate shows
        assert {key: n for key, n in tap.seen.items() if n != 1} == {}
        assert sorted(s for _, s in tap.seen) == sent


async def test_the_other_process_takes_over_within_5s_of_a_sigkill(
    pair: tuple[Server, Server, Path], board: tuple[Any, str, str], private_redis: PrivateRedis
) -> None:
    first, second, _ = pair
    practice, admin, desk = board
    leader = await leader_of(private_redis.url, (first, second))
    survivor = second if leader is first else first
    async with BusTap(private_redis.url) as tap, Client.connect(survivor, desk) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        before = await announce(survivor, admin, practice.id, "before")  # woken leader publishes
        await tap.wait_for(practice.id, [before], within=5)
        leader.stop(signal.SIGKILL)
        killed = time.monotonic()
        meanwhile = [await announce(survivor, admin, practice.id, f"m{i}") for i in range(3)]
        await tap.wait_for(practice.id, meanwhile, within=TAKEOVER_LIMIT + 2)
        took = max(tap.first_seen[(str(practice.id), s)] for s in meanwhile) - killed
        assert took < TAKEOVER_LIMIT, f"takeover took {took:.2f} s"
        assert await leader_of(private_redis.url, (survivor,)) is survivor
        assert [e["sequence"] for e in await client.events(4)] == [before, *meanwhile]
        after = await announce(survivor, admin, practice.id, "after")  # the new leader's own
        assert [e["sequence"] for e in await client.events(1)] == [after]
        await asyncio.sleep(1.0)
        assert {key: n for key, n in tap.seen.items() if n != 1} == {}
