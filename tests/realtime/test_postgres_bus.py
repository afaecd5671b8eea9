"""The bus over PostgreSQL LISTEN/NOTIFY: a deployment with PostgreSQL and no Redis.

In process: two buses (two connections, as two workers have) see each other's envelopes, and a
listener connection killed by the server is noticed, logged once each way, re-listened and
followed by a catch-up hook. End to end: two real servers sharing only PostgreSQL deliver a
change made on one to boards on both, and keep delivering, in order and once, while their LISTEN
connections are killed mid-stream.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from realtime.bus import Bus
from realtime.bus_postgres import MAX_CHANNEL_BYTES
from realtime.channels import channel_for
from realtime.envelopes import SCHEDULE, Envelope
from services.policy import Role
from tests import factories
from tests.databases import PostgresDatabase
from tests.realtime.harness import Client, Server, announce, orm, server_env


def _tagged(url: str) -> tuple[str, str]:
    """The URL with an application name of its own, so a test can kill just these sessions."""
    name = f"aescrm-bus-test-{uuid.uuid4().hex[:8]}"
    return f"{url}?application_name={name}", name


async def _kill_sessions(url: str, application_name: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        killed = await connection.fetch(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
            application_name,
        )
    finally:
        await connection.close()
    return len(killed)


class Seen:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []
        self.arrived = asyncio.Event()

    def __call__(self, raw: bytes | str) -> None:
        envelope = Envelope.decode(raw)
        assert envelope is not None
        self.envelopes.append(envelope)
        self.arrived.set()

    async def next(self) -> Envelope:
        await asyncio.wait_for(self.arrived.wait(), 5)
        self.arrived.clear()
        return self.envelopes[-1]


async def test_two_buses_on_one_postgres_hear_each_other(
    postgres_database: PostgresDatabase,
) -> None:
    practice = uuid.uuid4()
    channel = channel_for(practice, SCHEDULE)
    first, second = Bus(postgres_database.url), Bus(postgres_database.url)
    await first.connect()
    await second.connect()
    try:
        assert first.up
        assert second.up
        heard_first, heard_second = Seen(), Seen()
        await first.listen(channel, heard_first)
        stop = await second.listen(channel, heard_second)
        await first.publish(channel, Envelope(practice, SCHEDULE, 1).encode())
        assert await heard_second.next() == Envelope(practice, SCHEDULE, 1)
        assert await heard_first.next() == Envelope(practice, SCHEDULE, 1)  # the sender too
        for sequence in (2, 3, 4):
            await second.publish(channel, Envelope(practice, SCHEDULE, sequence).encode())
        while len(heard_first.envelopes) < 4:
            await heard_first.next()
        assert [e.sequence for e in heard_first.envelopes] == [1, 2, 3, 4]  # commit order
        while len(heard_second.envelopes) < 4:  # its own notifications reach it too, then stop
            await heard_second.next()
        stop()
        await first.publish(channel, Envelope(practice, SCHEDULE, 5).encode())
        assert (await heard_first.next()).sequence == 5
        await asyncio.sleep(0.2)
        assert [e.sequence for e in heard_second.envelopes] == [1, 2, 3, 4]  # it stopped
        assert await first.ping()
        assert second.channels == []
    finally:
        await first.disconnect()
        await second.disconnect()


async def test_a_killed_listen_connection_is_noticed_and_listened_again(
    postgres_database: PostgresDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    url, name = _tagged(postgres_database.url)
    practice = uuid.uuid4()
    channel = channel_for(practice, SCHEDULE)
    bus = Bus(url)
    reconnected = asyncio.Event()
    bus.on_reconnect(reconnected.set)
    await bus.connect()
    try:
        seen = Seen()
        await bus.listen(channel, seen)
        with caplog.at_level("INFO", logger="aescrm.bus"):
            assert await _kill_sessions(postgres_database.url, name) == 1
            for _ in range(50):
                if not bus.up:
                    break
                await asyncio.sleep(0.05)
            assert not bus.up  # noticed without waiting for a heartbeat
            await asyncio.wait_for(reconnected.wait(), 10)
        assert bus.up
        messages = [r.getMessage() for r in caplog.records if r.name == "aescrm.bus"]
        assert messages == ["bus down", "bus up"]
        await bus.publish(channel, Envelope(practice, SCHEDULE, 9).encode())
        assert (await seen.next()).sequence == 9  # listening again on the new connection
    finally:
        await bus.disconnect()


async def test_a_channel_name_postgres_would_truncate_is_refused(
    postgres_database: PostgresDatabase,
) -> None:
    bus = Bus(postgres_database.url)
    await bus.connect()
    try:
        with pytest.raises(ValueError, match="longer than"):
            await bus.listen("x" * (MAX_CHANNEL_BYTES + 1), lambda _: None)
        assert len(channel_for(uuid.uuid4(), SCHEDULE).encode()) <= MAX_CHANNEL_BYTES
    finally:
        await bus.disconnect()


@pytest.fixture(scope="module")
def pg_cluster(
    postgres_database: PostgresDatabase, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, Server, Path, str]]:
    """Two servers whose only shared part is PostgreSQL: database and bus."""
    postgres_database.truncate()
    var_dir = tmp_path_factory.mktemp("pg-cluster")
    bus_url, name = _tagged(postgres_database.url)
    env = server_env(postgres_database.url, var_dir, bus_url)
    first, second = Server(env).launch(), Server(env).launch()
    try:
        first.ready()
        second.ready()
        yield first, second, var_dir, name
    finally:
        first.stop()
        second.stop()


@pytest.fixture
async def board(
    pg_cluster: tuple[Server, Server, Path, str], postgres_database: PostgresDatabase
) -> AsyncIterator[tuple[uuid.UUID, str, str]]:
    async with orm(postgres_database.url, pg_cluster[2]):
        practice = await factories.practice()
        admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        yield practice.id, admin, desk


async def test_a_change_on_one_process_reaches_boards_on_both_over_postgres(
    pg_cluster: tuple[Server, Server, Path, str], board: tuple[uuid.UUID, str, str]
) -> None:
    first, second, _, _ = pg_cluster
    practice, admin, desk = board
    async with Client.connect(first, desk) as near, Client.connect(second, desk) as far:
        await near.subscribe("b", practice)
        await far.subscribe("b", practice)
        await asyncio.sleep(0.3)
        sent = [await announce(first, admin, practice, f"n{i}") for i in range(3)]
        # The bus, not a poll: with PostgreSQL up nothing reads the table on a timer.
        assert [e["sequence"] for e in await far.events(3, wait=3)] == sent
        assert [e["sequence"] for e in await near.events(3, wait=3)] == sent
        assert await far.quiet()
        assert await near.quiet()


async def test_killed_listen_connections_mid_stream_lose_and_repeat_nothing(
    pg_cluster: tuple[Server, Server, Path, str],
    board: tuple[uuid.UUID, str, str],
    postgres_database: PostgresDatabase,
) -> None:
    first, second, _, bus_name = pg_cluster
    practice, admin, desk = board
    async with Client.connect(second, desk) as client:
        await client.subscribe("b", practice)
        await asyncio.sleep(0.3)
        before = await announce(first, admin, practice, "before")
        assert [e["sequence"] for e in await client.events(1)] == [before]
        assert await _kill_sessions(postgres_database.url, bus_name) == 2  # one per server
        during = [await announce(first, admin, practice, f"during {i}") for i in range(2)]
        await asyncio.sleep(0.5)
        after = await announce(first, admin, practice, "after")
        received = [e["sequence"] for e in await client.events(3, wait=10)]
        assert received == [*during, after]
        assert await client.quiet()
