"""Rate limits: keyed on the verified principal, junk credentials charged to the client address,
buckets shared across processes through Redis, client addresses only from trusted proxies."""

from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from graph.app import create_app
from graph.rate_limits import MemoryLimiter, RedisLimiter, Verdict
from graph.request_limit import KnownRefusals
from graph.settings import Settings
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.databases import REDIS_URL, redis_reachable
from tests.realtime.harness import free_port

PING = "{ ping }"
OFFICE = ("198.51.100.20", 1000)
PROXY = ("10.0.0.1", 50000)


def limited(database_url: str, tmp_path: Path, per_minute: int, **overrides: Any) -> Settings:
    return make_settings(database_url, tmp_path, rate_limit_per_minute=per_minute, **overrides)


@asynccontextmanager
async def serve(
    settings: Settings, client: tuple[str, int] = OFFICE
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@asynccontextmanager
async def second_worker(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another process's app on the same settings, without a lifespan of its own (the ORM is
    global per process: a second lifespan would open and close the first one's connections)."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=OFFICE)
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await app.state.rate_limiter.close()
        await app.state.budgets.close()  # its Redis client too (the lifespan would close both)


async def ping(
    http: httpx.AsyncClient, token: str | None = None, forwarded_for: str | None = None
) -> int:
    headers = {}
    if token is not None:
        headers["authorization"] = f"Bearer {token}"
    if forwarded_for is not None:
        headers["x-forwarded-for"] = forwarded_for
    response = await http.post("/graphql", json={"query": PING}, headers=headers)
    if response.status_code == 429:
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(response.headers["retry-after"]) >= 1
        # The per-request limit's own IETF policy (the budget's is "default").
        assert response.headers["ratelimit-policy"].startswith('"requests";q=')
        assert response.headers["ratelimit"].startswith('"requests";r=0;t=')
    return response.status_code


def junk() -> str:
    return secrets.token_urlsafe(24)


async def test_junk_tokens_are_charged_to_the_client_address(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(limited(database_url, tmp_path, 3)) as http:
        assert [await ping(http, junk()) for _ in range(3)] == [401, 401, 401]
        assert await ping(http, junk()) == 429  # a fresh junk token buys no fresh bucket
        assert await ping(http) == 429  # it is the address's bucket


async def test_a_user_has_one_bucket_whatever_token_they_present(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(limited(database_url, tmp_path, 3)) as http:
        user = await factories.user(Role.RECEPTIONIST, await factories.practice())
        tokens = [factories.access_token(user) for _ in range(4)]
        assert [await ping(http, token) for token in tokens[:3]] == [200, 200, 200]
        assert await ping(http, tokens[3]) == 429
        # Same address, someone else: the user's calls did not use up the office's bucket.
        colleague = await factories.user(Role.DENTIST, await factories.practice())
        assert await ping(http, factories.access_token(colleague)) == 200
        assert await ping(http) == 200


async def test_buckets_are_shared_across_processes_through_redis(
    database_url: str, tmp_path: Path
) -> None:
    redis_reachable()
    shared = limited(
        database_url,
        tmp_path,
        3,
        broadcast_url=REDIS_URL,
        rate_limit_key_prefix=f"aescrm-test:{uuid.uuid4().hex}:",
    )
    async with serve(shared) as worker_a, second_worker(shared) as worker_b:
        assert [await ping(worker_a), await ping(worker_a)] == [200, 200]
        assert await ping(worker_b) == 200
        assert await ping(worker_b) == 429
        assert await ping(worker_a) == 429


async def test_without_redis_each_process_has_its_own_buckets(
    database_url: str, tmp_path: Path
) -> None:
    settings = limited(database_url, tmp_path, 2)
    async with serve(settings) as worker_a, second_worker(settings) as worker_b:
        assert [await ping(worker_a) for _ in range(3)] == [200, 200, 429]
        assert await ping(worker_b) == 200


async def test_behind_a_trusted_proxy_one_client_cannot_lock_out_the_others(
    database_url: str, tmp_path: Path
) -> None:
    settings = limited(database_url, tmp_path, 2, forwarded_allow_ips="10.0.0.0/8")
    async with serve(settings, client=PROXY) as proxy:
        attacker = "198.51.100.66"
        assert [await ping(proxy, junk(), attacker) for _ in range(2)] == [401, 401]
        assert await ping(proxy, junk(), attacker) == 429
        assert await ping(proxy, None, attacker) == 429
        assert await ping(proxy, None, "198.51.100.77") == 200  # another client of the proxy
        # The proxy appends the peer it saw; a forged first hop changes nothing.
        assert await ping(proxy, None, f"203.0.113.1, {attacker}") == 429


async def test_forwarded_headers_from_untrusted_peers_are_ignored(
    database_url: str, tmp_path: Path
) -> None:
    settings = limited(database_url, tmp_path, 2, forwarded_allow_ips="10.0.0.1")
    async with serve(settings, client=OFFICE) as direct:
        statuses = [await ping(direct, None, f"192.0.2.{n}") for n in range(3)]
        assert statuses == [200, 200, 429]


async def test_redis_buckets_are_gcra_and_answer_the_wait() -> None:
    redis_reachable()
    limiter = RedisLimiter(REDIS_URL, per_minute=60, prefix=f"aescrm-test:{uuid.uuid4().hex}:")
    try:
        assert [await limiter.wait("k") for _ in range(60)] == [0.0] * 60
        wait = await limiter.wait("k")
        assert 0 < wait <= 1.0  # one request per second refills the bucket
        assert await limiter.wait("other") == 0.0
    finally:
        await limiter.close()


async def test_an_unreachable_redis_falls_back_to_per_process_buckets() -> None:
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", per_minute=2, prefix="x:")
    try:
        assert [await limiter.wait("k") for _ in range(2)] == [0.0, 0.0]
        assert await limiter.wait("k") > 0
    finally:
        await limiter.close()


def test_memory_buckets_hold_a_minute_of_requests_and_refill() -> None:
    limiter = MemoryLimiter(per_minute=3)
    assert [limiter.take("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.take("k")
    assert 0 < wait <= 20.0
    limiter.arrivals["k"] -= 20.0  # as if 20 s (one emission interval) had passed
    assert limiter.take("k") == 0.0


@pytest.mark.parametrize("per_minute", [1, 600])
def test_memory_buckets_forget_the_oldest_keys(per_minute: int) -> None:
    limiter = MemoryLimiter(per_minute=per_minute, max_keys=2)
    for key in ("a", "b", "c"):
        limiter.take(key)
    assert list(limiter.arrivals) == ["b", "c"]


def redis_calls(http_app: Any) -> int:
    """Script calls the app's limiters have made: the request limit's and both budget pools'."""
    limiters = [http_app.state.rate_limiter, *http_app.state.budgets.pools.values()]
    return sum(limiter.script.calls for limiter in limiters)


@asynccontextmanager
async def served_app(settings: Settings) -> AsyncIterator[tuple[Any, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=OFFICE)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield app, http


async def test_a_graphql_request_pays_its_unit_and_its_budget_in_one_redis_call(
    database_url: str, tmp_path: Path
) -> None:
    redis_reachable()
    shared = limited(
        database_url,
        tmp_path,
        3,
        broadcast_url=REDIS_URL,
        rate_limit_key_prefix=f"aescrm-test:{uuid.uuid4().hex}:",
        budget_key_prefix=f"aescrm-test:{uuid.uuid4().hex}:",
    )
    async with served_app(shared) as (app, http):
        before = redis_calls(app)
        assert await ping(http) == 200
        assert redis_calls(app) == before + 1  # the request's unit and its cost together
        assert [await ping(http), await ping(http)] == [200, 200]
        refused = await http.post("/graphql", json={"query": PING})
        assert refused.status_code == 429  # the request limit, not the budget
        assert refused.headers["ratelimit-policy"] == '"requests";q=3;w=60'
        assert redis_calls(app) == before + 3  # the fourth was known refused: no Redis call


async def test_requests_that_never_reach_the_budget_still_pay_their_unit(
    database_url: str, tmp_path: Path
) -> None:
    redis_reachable()
    shared = limited(
        database_url,
        tmp_path,
        3,
        broadcast_url=REDIS_URL,
        rate_limit_key_prefix=f"aescrm-test:{uuid.uuid4().hex}:",
    )
    async with serve(shared) as worker_a, second_worker(shared) as worker_b:
        garbage = [await worker_a.post("/graphql", json={"query": "{ ping"}) for _ in range(2)]
        garbage.append(await worker_b.post("/graphql", json={"query": "{ nope }"}))
        codes = [response.json()["errors"][0]["extensions"]["code"] for response in garbage]
        assert codes == [
            "GRAPHQL_PARSE_FAILED",
            "GRAPHQL_PARSE_FAILED",
            "GRAPHQL_VALIDATION_FAILED",
        ]
        # Three units spent on documents that did not parse or validate: both workers refuse.
        assert await ping(worker_a) == 429
        assert await ping(worker_b) == 429


def test_a_worker_remembers_an_empty_bucket_until_its_next_unit() -> None:
    refusals = KnownRefusals(per_minute=60)
    refusals.note("k", Verdict(wait=0.0, remaining=0, reset=59.5))  # next unit in 0.5 s
    known = refusals.refusal("k")
    assert known is not None
    assert 0.4 < known.wait <= 0.5
    refusals.note("k", Verdict(wait=0.0, remaining=2, reset=57.0))
    assert refusals.refusal("k") is None
    refusals.note("k", Verdict(wait=0.01, remaining=0, reset=60.0))
    assert refusals.refusal("k") is not None
    time.sleep(0.02)
    assert refusals.refusal("k") is None
