"""Query-cost budgets in one process: what an operation costs, the IETF headers on every answer,
429 with nothing run, partner and first-party pools apart, per-process buckets without Redis.
(Two real workers sharing one Redis budget: ``test_budgets_live.py``.)"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
import redis.asyncio as redis_asyncio
from graphql import parse
from prometheus_client import REGISTRY
from strawberry.types.graphql import OperationType

from db.models.outbox import DomainEvent
from graph.app import create_app
from graph.budgets import Budgets
from graph.rate_limits import MemoryLimiter, RedisLimiter
from graph.script_batches import ScriptBatcher
from graph.settings import Settings
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.databases import REDIS_URL, redis_reachable
from tests.graph.visibility_world import partner_token
from tests.realtime.harness import free_port

PING = "{ ping }"  # cost 1
ANNOUNCE = """mutation A($input: AnnouncePracticeNoticeInput!) {
  announcePracticeNotice(input: $input) { notice { id message } }
}"""  # cost 4: the field, notice, and id and message below it
NOT_A_FIELD = "{ nothingHere }"
POLICY = re.compile(r'^"default";q=(\d+);w=60$')
STATE = re.compile(r'^"default";r=(\d+);t=(\d+)$')


def budgeted(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "budget_first_party_per_minute": 600,
        "budget_partner_per_minute": 600,
        "budget_read_weight": 1,
        "budget_write_weight": 10,
        **overrides,
    }
    return make_settings(database_url, tmp_path, **values)


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("198.51.100.30", 1000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@asynccontextmanager
async def second_worker(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """Another process's app (no lifespan of its own: the ORM is global per process)."""
    app = create_app(settings)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.30", 1000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http
    finally:
        await app.state.rate_limiter.close()
        await app.state.budgets.close()


async def post(
    http: httpx.AsyncClient, query: str, token: str | None = None, **variables: Any
) -> httpx.Response:
    headers = {"authorization": f"Bearer {token}"} if token else {}
    return await http.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    )


def left(response: httpx.Response) -> int:
    """The ``r`` of the response's ``RateLimit`` header (after checking both headers' form)."""
    assert POLICY.match(response.headers["ratelimit-policy"]), response.headers
    state = STATE.match(response.headers["ratelimit"])
    assert state, response.headers
    return int(state.group(1))


def notice(practice_id: object, message: str = "Fire drill at noon") -> dict[str, Any]:
    return {"practiceId": str(practice_id), "message": message}


async def test_every_answer_describes_the_budget_with_the_ietf_headers(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(budgeted(database_url, tmp_path)) as http:
        user = await factories.user(Role.RECEPTIONIST, await factories.practice())
        token = factories.access_token(user)
        first = await post(http, PING, token)
        assert first.status_code == 200
        assert first.headers["ratelimit-policy"] == '"default";q=600;w=60'
        # One unit taken from 600 a minute: 599 left, full again within the second.
        assert first.headers["ratelimit"] == '"default";r=599;t=1'
        assert "retry-after" not in first.headers
        assert left(await post(http, PING, token)) == 598
        # A document that fails validation ran nothing: described, not charged.
        invalid = await post(http, NOT_A_FIELD, token)
        assert invalid.json()["errors"][0]["extensions"]["code"] == "GRAPHQL_VALIDATION_FAILED"
        assert left(invalid) == 598
        # Refusals before any GraphQL (a bad token, a form body) carry them too.
        unauthenticated = await post(http, PING, "not-a-token")
        assert unauthenticated.status_code == 401
        assert left(unauthenticated) == 600  # the client address's bucket, untouched
        form = await http.post("/graphql", content=b"query={ping}", headers={"content-type": "x"})
        assert form.status_code == 415
        assert left(form) == 600


async def test_a_write_costs_its_weight_times_its_query_cost(
    database_url: str, tmp_path: Path
) -> None:
    async with serve(budgeted(database_url, tmp_path)) as http:
        practice = await factories.practice()
        token = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        assert left(await post(http, PING, token)) == 599  # a read: weight 1 x cost 1
        announced = await post(http, ANNOUNCE, token, input=notice(practice.id))
        assert announced.json().get("errors") is None, announced.json()
        assert left(announced) == 599 - 10 * 4  # a write: weight 10 x cost 4
        read_alike = "{ a: ping b: ping c: ping d: ping }"  # the same cost, as a read
        assert left(await post(http, read_alike, token)) == 559 - 4


async def test_over_budget_is_429_with_retry_after_and_runs_nothing(
    database_url: str, tmp_path: Path
) -> None:
    settings = budgeted(database_url, tmp_path, budget_first_party_per_minute=80)
    async with serve(settings) as http:
        practice = await factories.practice()
        token = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        first = await post(http, ANNOUNCE, token, input=notice(practice.id))
        assert first.status_code == 200
        assert left(first) == 40  # 80 - 10 x 4
        assert (await post(http, ANNOUNCE, token, input=notice(practice.id))).status_code == 200
        refused = await post(http, ANNOUNCE, token, input=notice(practice.id, "not shown"))
        assert refused.status_code == 429
        body = refused.json()
        assert body["data"] is None
        [error] = body["errors"]
        assert error["extensions"]["code"] == "RATE_LIMITED"
        # 40 units at 80 a minute: the write fits again in about 30 s.
        assert 25 <= int(refused.headers["retry-after"]) <= 30
        assert error["extensions"]["retryAfterSeconds"] == int(refused.headers["retry-after"])
        assert left(refused) == 0
        assert await DomainEvent.filter(practice_id=practice.id).count() == 2  # not a third
        graphql_json = {"accept": "application/graphql-response+json"}
        again = await http.post(
            "/graphql",
            json={"query": ANNOUNCE, "variables": {"input": notice(practice.id)}},
            headers={"authorization": f"Bearer {token}", **graphql_json},
        )
        assert again.status_code == 429  # not the 400 of a data-less graphql-response


def refused(pool: str) -> float:
    """Operations the budgets refused so far in this process (the Prometheus counter)."""
    sample = REGISTRY.get_sample_value("aescrm_budget_refused_operations_total", {"pool": pool})
    return sample or 0.0


async def test_a_partner_that_spends_its_budget_does_not_starve_first_party_traffic(
    database_url: str, tmp_path: Path
) -> None:
    settings = budgeted(
        database_url, tmp_path, budget_partner_per_minute=20, budget_first_party_per_minute=20
    )
    async with serve(settings) as http:
        practice = await factories.practice()
        _, partner = await partner_token(http, practice.id, practice.organization_id)
        refused_before = refused("partner")
        statuses = [(await post(http, PING, partner)).status_code for _ in range(21)]
        assert statuses == [200] * 20 + [429]
        assert refused("partner") == refused_before + 1  # /metrics counts the refusal
        staff = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        record = await factories.patient(practice)
        patient = factories.access_token(
            await factories.user(Role.PATIENT, practice, patient_id=record.id)
        )
        for token in (staff, patient, None):  # the desk, the portal, someone signing in
            answer = await post(http, PING, token)
            assert answer.status_code == 200
            assert answer.headers["ratelimit-policy"] == '"default";q=20;w=60'
            assert left(answer) == 19  # each their own first-party bucket
        # Another partner app has its own bucket too.
        _, other = await partner_token(http, practice.id, practice.organization_id)
        assert (await post(http, PING, other)).status_code == 200
        assert (await post(http, PING, partner)).status_code == 429


async def test_budgets_are_shared_between_apps_through_redis(
    database_url: str, tmp_path: Path
) -> None:
    redis_reachable()
    settings = budgeted(
        database_url,
        tmp_path,
        budget_first_party_per_minute=4,
        broadcast_url=REDIS_URL,
        budget_key_prefix=f"aescrm-test:{uuid.uuid4().hex}:",
    )
    async with serve(settings) as worker_a, second_worker(settings) as worker_b:
        token = factories.access_token(
            await factories.user(Role.DENTIST, await factories.practice())
        )
        statuses = []
        for _ in range(3):
            statuses += [(await post(worker_a, PING, token)).status_code]
            statuses += [(await post(worker_b, PING, token)).status_code]
        assert statuses == [200, 200, 200, 200, 429, 429]


async def test_without_redis_each_process_has_its_own_budget(
    database_url: str, tmp_path: Path
) -> None:
    settings = budgeted(database_url, tmp_path, budget_first_party_per_minute=2)
    async with serve(settings) as worker_a, second_worker(settings) as worker_b:
        token = factories.access_token(
            await factories.user(Role.DENTIST, await factories.practice())
        )
        assert [(await post(worker_a, PING, token)).status_code for _ in range(3)] == [
            200,
            200,
            429,
        ]
        assert (await post(worker_b, PING, token)).status_code == 200


async def test_redis_buckets_take_variable_costs_and_report_what_is_left() -> None:
    redis_reachable()
    limiter = RedisLimiter(REDIS_URL, per_minute=60, prefix=f"aescrm-test:{uuid.uuid4().hex}:")
    try:
        taken = await limiter.charge("k", 50)
        assert (taken.wait, taken.remaining) == (0.0, 10)
        assert 49 < taken.reset <= 50  # one unit a second
        refused = await limiter.charge("k", 20)
        assert not refused.allowed
        assert 9 < refused.wait <= 10
        assert refused.remaining == 10  # all or nothing: the refusal took none
        assert (await limiter.charge("k", 0)).remaining == 10  # a cost of 0 only reads
        assert (await limiter.charge("k", 10)).remaining == 0
    finally:
        await limiter.close()


async def test_an_unreachable_redis_falls_back_to_per_process_budgets() -> None:
    limiter = RedisLimiter(f"redis://127.0.0.1:{free_port()}/0", per_minute=10, prefix="x:")
    try:
        assert (await limiter.charge("k", 8)).remaining == 2
        assert not (await limiter.charge("k", 3)).allowed
    finally:
        await limiter.close()


async def test_concurrent_redis_checks_share_a_pipeline_and_stay_exact() -> None:
    redis_reachable()
    limiter = RedisLimiter(REDIS_URL, per_minute=20, prefix=f"aescrm-test:{uuid.uuid4().hex}:")
    try:
        verdicts = await asyncio.gather(*(limiter.charge("k", 1) for _ in range(50)))
        assert sum(verdict.allowed for verdict in verdicts) == 20
        assert sorted(v.remaining for v in verdicts if v.allowed) == list(range(20))
    finally:
        await limiter.close()


async def test_a_script_redis_does_not_know_is_loaded_and_sent_again() -> None:
    redis_reachable()
    client = redis_asyncio.from_url(REDIS_URL)
    marker = uuid.uuid4().hex  # a script text Redis has never seen
    batcher = ScriptBatcher(client, f"return '{marker}'")
    try:
        answers = await asyncio.gather(batcher([], []), batcher([], []))
        assert answers == [marker.encode(), marker.encode()]
        assert await batcher([], []) == marker.encode()  # loaded now: sent once
    finally:
        await batcher.close()
        await client.aclose()


COUNTER = "return redis.call('INCR', KEYS[1])"
SLOW_ECHO = """
if ARGV[1] == 'slow' then
  local start = redis.call('TIME')
  while true do
    local now = redis.call('TIME')
    if (now[1] - start[1]) * 1000000 + (now[2] - start[2]) > 300000 then break end
  end
end
return ARGV[2]
"""


async def test_the_others_in_a_batch_are_answered_when_its_sending_caller_goes_away() -> None:
    redis_reachable()
    client = redis_asyncio.from_url(REDIS_URL)
    batcher = ScriptBatcher(client, COUNTER)
    key = f"aescrm-test:{uuid.uuid4().hex}"
    try:
        sender = asyncio.create_task(batcher([key], []))
        others = [asyncio.create_task(batcher([key], [])) for _ in range(3)]
        await asyncio.sleep(0)  # the sender waits one loop turn for the others to join
        sender.cancel()
        answers = await asyncio.gather(*others)
        assert sender.cancelled()
        assert len(set(answers)) == 3  # each its own answer from Redis
        assert all(isinstance(answer, int) for answer in answers)
    finally:
        await batcher.close()
        await client.delete(key)
        await client.aclose()


async def test_a_batch_that_times_out_leaves_no_stale_answer_for_the_next() -> None:
    redis_reachable()
    client = redis_asyncio.from_url(REDIS_URL)
    batcher = ScriptBatcher(client, SLOW_ECHO, timeout=0.1)
    try:
        assert await batcher([], ["fast", 1]) == b"1"  # script loaded, connection open
        with pytest.raises(TimeoutError):
            await batcher([], ["slow", 2])
        await asyncio.sleep(0.4)  # Redis has finished the slow call and written its answer
        assert await batcher([], ["fast", 3]) == b"3"  # not the slow call's answer
    finally:
        await batcher.close()
        await client.aclose()


def test_memory_buckets_take_variable_costs() -> None:
    limiter = MemoryLimiter(per_minute=60)
    assert limiter.take_units("k", 60).remaining == 0
    refused = limiter.take_units("k", 5)
    assert not refused.allowed
    assert 4 < refused.wait <= 5


@pytest.mark.parametrize(("kind", "weight"), [("query", 1), ("mutation", 10), ("subscription", 5)])
def test_the_price_is_the_weight_of_the_kind_times_the_query_cost(
    tmp_path: Path, kind: str, weight: int
) -> None:
    settings = Settings(var_dir=tmp_path, budget_write_weight=10, budget_subscribe_weight=5)
    budgets = Budgets(settings)
    text = f"{kind} {{ a {{ b(first: 10) {{ c d }} }} }}"  # 1 + 1 + 10 x 2
    assert budgets.price(OperationType(kind), parse(text), None, text) == weight * 22
