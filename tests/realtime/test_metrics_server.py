"""``aescrm serve --workers 2`` exposes every series after a scripted workload: real uvicorn,
real HTTP and WebSocket clients, PostgreSQL and a Redis of the module's own.

Two workers write their values to the multiprocess directory; whichever answers ``/metrics``
(or the separate metrics port, served by the parent) must report the sum over both."""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from services.jobs.queue import enqueue
from services.policy import Role
from tests import factories
from tests.databases import PostgresDatabase
from tests.realtime.harness import (
    Client,
    PrivateRedis,
    Server,
    announce,
    free_port,
    graphql,
    orm,
    server_env,
)

WORKERS = 2
ANNOUNCEMENTS = 3
RATE_LIMIT = 20  # per minute: a burst of one principal's requests meets 429s
MISSING = "query Missing($id: ID!) { patient(id: $id) { id } }"
SERIES = (
    "aescrm_graphql_operations_total",
    "aescrm_graphql_operation_seconds_bucket",
    "aescrm_graphql_operation_seconds_count",
    "aescrm_graphql_errors_total",
    "aescrm_sql_statements_per_operation_count",
    "aescrm_websocket_connections",
    "aescrm_active_subscriptions",
    "aescrm_fanout_deliveries_total",
    "aescrm_fanout_queue_depth",
    "aescrm_outbox_lag_seconds",
    "aescrm_job_queue_depth",
    "aescrm_rate_limited_requests_total",
)


class Metrics(dict[str, float]):
    """Parsed exposition: ``name{labels}`` (labels as written) -> value."""

    @classmethod
    def parse(cls, text: str) -> Metrics:
        found = cls()
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, value = line.rsplit(" ", 1)
                found[key] = float(value)
        return found

    def value(self, name: str, **labels: str) -> float:
        wanted = {f'{k}="{v}"' for k, v in labels.items()}
        total = 0.0
        for key, value in self.items():
            series, _, rest = key.partition("{")
            if series == name and wanted <= set(re.findall(r'\w+="[^"]*"', rest)):
                total += value
        return total

    def names(self) -> set[str]:
        return {key.partition("{")[0] for key in self}


@pytest.fixture(scope="module")
def service(
    postgres_database: PostgresDatabase,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[Server, Path, str, int]]:
    postgres_database.truncate()
    var_dir = tmp_path_factory.mktemp("metrics")
    metrics_port = free_port()
    env = server_env(
        postgres_database.url,
        var_dir,
        private_redis.url,
        AESCRM_METRICS_REFRESH_SECONDS="0.2",
        AESCRM_METRICS_PORT=str(metrics_port),
        AESCRM_RATE_LIMIT_PER_MINUTE=str(RATE_LIMIT),
    )
    server = Server(env, workers=WORKERS).launch()
    try:
        server.ready(timeout=90)
        yield server, var_dir, postgres_database.url, metrics_port
    finally:
        server.stop(timeout=30)


async def scrape(url: str, **headers: str) -> Metrics:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(url, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Metrics.parse(response.text)


async def until(url: str, ready: Callable[[Metrics], bool], within: float = 15) -> Metrics:
    """Scrapes until ``ready(metrics)`` (the gauges refresh on a timer)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        metrics = await scrape(url)
        if ready(metrics):
            return metrics
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"never ready: {sorted(metrics.items())}")
        await asyncio.sleep(0.2)


async def test_every_series_is_exposed_and_summed_over_workers(
    service: tuple[Server, Path, str, int],
) -> None:
    server, var_dir, database_url, metrics_port = service
    # Given a practice, its admin (changes) and receptionist (board), and a due job
    async with orm(database_url, var_dir):
        practice = await factories.practice()
        admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        noisy = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        await enqueue("test.metrics_probe", {})

    async with Client.connect(server, desk) as client:
        # When a board subscribes and three notices are announced over HTTP
        await client.subscribe("board", practice.id)
        for n in range(ANNOUNCEMENTS):
            await announce(server, admin, practice.id, f"notice {n}")
        assert len(await client.events(ANNOUNCEMENTS)) == ANNOUNCEMENTS
        # and an operation fails (a patient that is not there), and one principal bursts
        missing = await graphql(server, MISSING, {"id": str(uuid.uuid4())}, desk)
        assert missing["errors"][0]["extensions"]["code"] == "NOT_FOUND"
        async with httpx.AsyncClient(timeout=10) as http:
            statuses = [
                (
                    await http.post(
                        f"{server.http}/graphql",
                        json={"query": "query Ping { __typename }"},
                        headers={"authorization": f"Bearer {noisy}"},
                    )
                ).status_code
                for _ in range(RATE_LIMIT + 5)
            ]
        assert 429 in statuses

        # Then, once the gauges have refreshed (watched on the separate metrics port, which
        # the rate limit does not count) ...
        port = f"http://127.0.0.1:{metrics_port}/metrics"
        separate = await until(
            port,
            lambda m: (
                m.value("aescrm_websocket_connections") >= 1
                and m.value("aescrm_active_subscriptions") >= 1
                and m.value("aescrm_job_queue_depth") >= 1
            ),
        )
        # ... /metrics (loopback, development: no token) shows every series, summed over both
        # workers, while the socket and its subscription are open
        metrics = await scrape(f"{server.http}/metrics")
        assert metrics.value("aescrm_websocket_connections") >= 1
        assert set(SERIES) <= metrics.names(), sorted(set(SERIES) - metrics.names())
        assert metrics.value("aescrm_graphql_operations_total", operation="Announce") == (
            ANNOUNCEMENTS
        )
        ok = metrics.value("aescrm_graphql_operation_seconds_count", operation="Announce")
        assert ok == ANNOUNCEMENTS
        assert (
            metrics.value(
                "aescrm_graphql_operations_total", operation="Missing", outcome="NOT_FOUND"
            )
            == 1
        )
        assert metrics.value("aescrm_graphql_errors_total", code="NOT_FOUND") == 1
        assert metrics.value("aescrm_rate_limited_requests_total") == statuses.count(429)
        assert metrics.value("aescrm_fanout_deliveries_total") >= ANNOUNCEMENTS
        # the announcements wrote rows: statements were counted per operation
        assert metrics.value("aescrm_sql_statements_per_operation_sum") >= ANNOUNCEMENTS
        assert metrics.value("aescrm_outbox_lag_seconds") >= 0
        assert metrics.value("aescrm_fanout_queue_depth") >= 0

        # and the separate metrics port (the serve command's own process) agrees
        assert set(SERIES) <= separate.names()
        assert separate.value("aescrm_graphql_operations_total", operation="Announce") == (
            ANNOUNCEMENTS
        )

    # and the workers' values live in the multiprocess directory
    assert list((var_dir / "prometheus").glob("*.db"))
    # and once the socket is gone, the gauges say so
    await until(port, lambda m: m.value("aescrm_websocket_connections") == 0)
