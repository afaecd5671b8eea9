"""Two real servers sharing PostgreSQL and a private Redis: cross-process delivery, a Redis
restart mid-stream, and a process killed between commit and publish."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from db.models.outbox import DomainEvent
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


@pytest.fixture(scope="module")
def cluster(
    postgres_database: PostgresDatabase,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Server, Path]]:
    postgres_database.truncate()
    var_dir = tmp_path_factory.mktemp("cluster")
    with two_servers(server_env(postgres_database.url, var_dir, private_redis.url)) as servers:
        yield *servers, var_dir


@pytest.fixture
async def board(
    cluster: tuple[Server, Server, Path], postgres_database: PostgresDatabase
) -> AsyncIterator[tuple[object, str, str]]:
    async with practice_with_desk(postgres_database.url, cluster[2]) as board:
        yield board


async def test_a_change_on_one_process_reaches_a_board_on_the_other(
    cluster: tuple[Server, Server, Path], board: tuple[object, str, str]
) -> None:
    first, second, _ = cluster
    practice, admin, desk = board
    async with Client.connect(second, desk) as client:
        await client.subscribe("b", practice.id)  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        sent = [await announce(first, admin, practice.id, f"n{i}") for i in range(3)]  # type: ignore[attr-defined]
        assert [e["sequence"] for e in await client.events(3)] == sent
        assert await client.quiet()


async def test_a_process_killed_between_commit_and_publish_loses_nothing(
    cluster: tuple[Server, Server, Path],
    board: tuple[object, str, str],
    postgres_database: PostgresDatabase,
    private_redis: PrivateRedis,
) -> None:
    _, second, var_dir = cluster
    practice, admin, desk = board
    env = server_env(
        postgres_database.url, var_dir, private_redis.url, AESCRM_RELAY_ENABLED="false"
    )
    doomed = Server(env).start()  # commits, never publishes: as if it died right after commit
    try:
        async with Client.connect(second, desk) as client:
            await client.subscribe("b", practice.id)  # type: ignore[attr-defined]
            await asyncio.sleep(0.3)
            sequence = await announce(doomed, admin, practice.id, "orphan")  # type: ignore[attr-defined]
            doomed.stop(signal.SIGKILL)
            assert await DomainEvent.filter(sequence=sequence, practice_id=practice.id).exists()  # type: ignore[attr-defined]
            assert [e["sequence"] for e in await client.events(1)] == [sequence]
            row = await DomainEvent.get(sequence=sequence, practice_id=practice.id)  # type: ignore[attr-defined]
            assert row.published_at is not None
    finally:
        doomed.stop(signal.SIGKILL)


async def test_redis_restart_mid_stream_loses_and_repeats_nothing(
    cluster: tuple[Server, Server, Path],
    board: tuple[object, str, str],
    private_redis: PrivateRedis,
) -> None:
    first, second, _ = cluster
    practice, admin, desk = board
    pid = practice.id  # type: ignore[attr-defined]
    async with Client.connect(second, desk) as client:
        await client.subscribe("b", pid)
        await asyncio.sleep(0.3)
        before = await announce(first, admin, pid, "before")
        assert [e["sequence"] for e in await client.events(1)] == [before]
        private_redis.stop()
        during = [await announce(first, admin, pid, f"during {i}") for i in range(2)]
        private_redis.start()
        await asyncio.sleep(0.5)
        after = await announce(first, admin, pid, "after")
        received = [e["sequence"] for e in await client.events(3, wait=10)]
        assert received == [*during, after]
        assert await client.quiet()
    # A client that dropped too resumes with since and gets exactly what it missed.
    async with Client.connect(first, desk) as client:
        await client.subscribe("b", pid, since=before)
        assert [e["sequence"] for e in await client.events(3)] == [*during, after]
        assert await client.quiet()


async def test_clean_shutdown_closes_subscribers_with_1001(
    cluster: tuple[Server, Server, Path], board: tuple[object, str, str]
) -> None:
    first, _, _ = cluster
    practice, _, desk = board
    async with Client.connect(first, desk) as client:
        await client.subscribe("b", practice.id)  # type: ignore[attr-defined]
        await asyncio.sleep(0.3)
        first.stop(signal.SIGTERM)
        assert await client.close_code() == 1001
