"""Two deployments, each with its own database, sharing one Redis: each relay publishes its own
outbox. With one fixed lease key, the first deployment's relay held the lease for both and the
second's events were never published (a bench's soak on the shared Redis stalled every live test
of the suite that way). ``AESCRM_RELAY_KEY_PREFIX`` gives each deployment its own key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import PostgresDatabase, SqliteTemplate
from tests.realtime.harness import (
    Client,
    PrivateRedis,
    Server,
    announce,
    practice_with_desk,
    server_env,
)


@pytest.fixture(scope="module")
def deployments(
    postgres_database: PostgresDatabase,
    sqlite_template: SqliteTemplate,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[list[tuple[Server, str, Path]]]:
    """One server on PostgreSQL and one on SQLite, both on the module's Redis."""
    postgres_database.truncate()
    places = [
        (postgres_database.url, tmp_path_factory.mktemp("first")),
        (sqlite_template.fresh_url(), tmp_path_factory.mktemp("second")),
    ]
    servers = [Server(server_env(url, var, private_redis.url)).launch() for url, var in places]
    try:
        for server in servers:
            server.ready()
        yield [(server, url, var) for server, (url, var) in zip(servers, places, strict=True)]
    finally:
        for server in servers:
            server.stop()


async def test_each_deployment_on_a_shared_redis_publishes_its_own_events(
    deployments: list[tuple[Server, str, Path]],
) -> None:
    prefixes = {server.env["AESCRM_RELAY_KEY_PREFIX"] for server, _, _ in deployments}
    assert len(prefixes) == 2  # the harness gives each database its own
    for server, url, var in deployments:
        async with practice_with_desk(url, var) as (practice, admin, desk):  # noqa: SIM117 - the socket needs the token
            async with Client.connect(server, desk) as client:
                await client.subscribe("board", practice.id)
                sequence = await announce(server, admin, practice.id, "Open until six")
                [event] = await client.events(1, wait=15)
        assert event["sequence"] == sequence
