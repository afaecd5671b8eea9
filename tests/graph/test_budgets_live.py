"""Budgets across two real uvicorn servers (separate processes, different ports) sharing one Redis
key prefix: together they allow what one budget allows, each answer's headers count what the
other spent, and on a WebSocket an operation over budget gets an ``error`` frame while the
socket and its other subscriptions carry on."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from services.policy import Role
from tests import factories
from tests.databases import REDIS_URL, redis_reachable
from tests.graph.test_budgets import STATE
from tests.realtime.harness import Client, Server, announce, server_env

PER_MINUTE = 6  # one unit every 10 s: nothing trickles back while a test runs
PING = "{ ping }"
LIVE = """subscription Live($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) { sequence }
}"""  # cost 2, at weight 1


@pytest.fixture(scope="module")
def workers(live_place: tuple[str, Path]) -> Iterator[tuple[Server, Server]]:
    redis_reachable()
    env = server_env(
        *live_place,
        bus=REDIS_URL,
        AESCRM_BUDGET_KEY_PREFIX=f"aescrm-test:{uuid.uuid4().hex}:",
        AESCRM_BUDGET_FIRST_PARTY_PER_MINUTE=str(PER_MINUTE),
        AESCRM_BUDGET_SUBSCRIBE_WEIGHT="1",
    )
    first, second = Server(env).launch(), Server(env).launch()
    try:
        yield first.ready(), second.ready()
    finally:
        first.stop()
        second.stop()


async def ping(server: Server, token: str) -> httpx.Response:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        return await http.post(
            "/graphql", json={"query": PING}, headers={"authorization": f"Bearer {token}"}
        )


async def test_two_workers_share_one_budget(workers: tuple[Server, Server], live_orm: None) -> None:
    user = await factories.user(Role.DENTIST, await factories.practice())
    token = factories.access_token(user)
    started = time.monotonic()
    answers = [await ping(workers[n % 2], token) for n in range(12)]
    # A precondition, not a speed check: after 10 s a unit would have trickled back.
    elapsed = time.monotonic() - started
    assert elapsed < 10, "the machine was too slow for this test to tell anything"
    assert [a.status_code for a in answers] == [200] * PER_MINUTE + [429] * PER_MINUTE
    # Each answer counts what both servers have spent: r units left, full again in t s.
    for n, answer in enumerate(answers[:PER_MINUTE], start=1):
        state = STATE.match(answer.headers["ratelimit"])
        assert state, answer.headers
        assert int(state.group(1)) == PER_MINUTE - n
        assert 10 * n - elapsed <= int(state.group(2)) <= 10 * n
    for refused in answers[PER_MINUTE:]:
        assert refused.headers["ratelimit-policy"] == f'"default";q={PER_MINUTE};w=60'
        assert refused.headers["ratelimit"].startswith('"default";r=0;')
        assert 1 <= int(refused.headers["retry-after"]) <= 10
        assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"


async def test_over_budget_on_a_socket_is_an_error_frame_for_that_operation(
    workers: tuple[Server, Server], live_orm: None
) -> None:
    first, second = workers
    practice = await factories.practice()
    token = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    async with Client.connect(second, token) as socket:
        await socket.subscribe("live", practice.id, query=LIVE)  # charged at subscribe: 2
        assert await socket.quiet(0.5)
        answer = await ping(first, token)
        assert answer.headers["ratelimit"].startswith(f'"default";r={PER_MINUTE - 3};')
        for _ in range(PER_MINUTE - 3):
            assert (await ping(first, token)).status_code == 200
        await socket.subscribe("late", practice.id, query=LIVE)
        refused = await socket.recv()
        assert refused["type"] == "error"
        assert refused["id"] == "late"
        [error] = refused["payload"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        assert error["extensions"]["retryAfterSeconds"] >= 1
        await socket.send({"id": "query", "type": "subscribe", "payload": {"query": PING}})
        refused = await socket.recv()
        assert (refused["type"], refused["id"]) == ("error", "query")
        assert refused["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        # The socket and the subscription made within budget carry on.
        sequence = await announce(first, admin, practice.id, "Lunch closes at one")
        event = await socket.recv()
        assert (event["type"], event["id"]) == ("next", "live")
        assert event["payload"]["data"]["scheduleChanged"]["sequence"] == sequence
