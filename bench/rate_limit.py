"""What the rate-limit checks add to a request, in microseconds: memory buckets and Redis.

A GraphQL request over HTTP makes two checks: the per-request limit (``graph.middleware
.RateLimit``: one GCRA take) and its operation's query-cost budget (``graph.budget_check``:
price the document — remembered per text — then one variable-cost GCRA take, then build the
``RateLimit`` headers). This times exactly those calls, in process, over many distinct callers:

- **budget check**: ``Budgets.price`` + ``Budgets.charge`` + ``Budgets.headers``;
- **both checks**: what one GraphQL request pays in all: the per-request limit's unit charged
  with the budget (``RequestCharge``: with Redis, one script call for both), and the worker's
  memory of refused callers (``KnownRefusals``) asked and told.

For each, with memory buckets and with Redis (``--redis``, default the local one; a fresh key
prefix, deleted afterwards): the median and p99 latency of one check made alone, and the CPU of
this process per check (``time.process_time``) — with Redis the latency includes the round trip
and Redis' own time, the CPU is what the server's worker spends. Then the same with
``--concurrency`` checks in flight (default 16), as a busy worker makes them: wall time and CPU
per check (concurrent Redis checks share one write per batch, ``graph.script_batches``).
The CPU figures are the ones to compare on a shared machine.

    .venv/bin/python bench/rate_limit.py [--checks 20000] [--concurrency 16] [--redis URL]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable

import redis.asyncio as redis_asyncio
from graphql import parse
from strawberry.types.graphql import OperationType

from graph.budgets import Account, Budgets, Pool
from graph.rate_limits import Limiter, build_limiter
from graph.request_limit import KnownRefusals, RequestCharge
from graph.settings import Settings

QUERY = """query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    id startsAt endsAt status
    patient { id firstName lastName }
    practitioner { id displayName }
  }
}"""
CALLERS = 500  # distinct users, so the buckets are not one hot key
GOAL_US = 100.0


def build(redis_url: str | None, prefix: str) -> tuple[Budgets, Limiter]:
    bus = redis_url or "memory://"
    settings = Settings(
        broadcast_url=bus,
        budget_key_prefix=prefix + "budget:",
        budget_first_party_per_minute=10**7,  # never refused: every check does the full work
        rate_limit_per_minute=10**7,
    )
    return Budgets(settings), build_limiter(10**7, settings.redis_url, prefix + "ratelimit:")


async def measure(
    name: str, check: Callable[[int], Awaitable[None]], checks: int, concurrency: int
) -> None:
    for n in range(200):  # warm-up: scripts loaded, connections open, caches filled
        await check(n)
    latencies = []
    cpu_started = time.process_time()
    for n in range(checks):
        started = time.perf_counter()
        await check(n)
        latencies.append(time.perf_counter() - started)
    cpu = (time.process_time() - cpu_started) / checks
    latencies.sort()
    p50 = statistics.median(latencies)
    p99 = latencies[int(len(latencies) * 0.99)]

    async def lane(offset: int) -> None:
        for n in range(offset, checks, concurrency):
            await check(n)

    started, cpu_started = time.perf_counter(), time.process_time()
    await asyncio.gather(*(lane(i) for i in range(concurrency)))
    loaded = (time.perf_counter() - started) / checks
    loaded_cpu = (time.process_time() - cpu_started) / checks
    print(
        f"{name:<22} alone: p50 {p50 * 1e6:6.1f} µs  p99 {p99 * 1e6:7.1f} µs  "
        f"CPU {cpu * 1e6:6.1f} µs/check | x{concurrency}: {loaded * 1e6:6.1f} µs/check wall, "
        f"CPU {loaded_cpu * 1e6:6.1f} µs/check | goal CPU < {GOAL_US:.0f} µs: "
        f"{'met' if cpu * 1e6 < GOAL_US else 'not met'} alone, "
        f"{'met' if loaded_cpu * 1e6 < GOAL_US else 'not met'} x{concurrency}"
    )


async def run(label: str, redis_url: str | None, checks: int, concurrency: int) -> None:
    prefix = f"aescrm-bench:{uuid.uuid4().hex}:"
    budgets, limiter = build(redis_url, prefix)
    document = parse(QUERY)
    accounts = [Account(Pool.FIRST_PARTY, f"u:{uuid.uuid4()}") for _ in range(CALLERS)]

    async def budget_check(n: int) -> None:
        account = accounts[n % CALLERS]
        units = budgets.price(OperationType.QUERY, document, "Board", QUERY)
        verdict = await budgets.charge(account, units)
        assert verdict.allowed
        budgets.headers(account, verdict)

    refusals = KnownRefusals(limiter.per_minute)

    async def both_checks(n: int) -> None:  # as graph.middleware.RateLimit + graph.budget_check
        account = accounts[n % CALLERS]
        assert refusals.refusal(account.key) is None
        request = RequestCharge(account.key, limiter)
        units = budgets.price(OperationType.QUERY, document, "Board", QUERY)
        verdict = await budgets.charge(account, units, request)
        assert request.verdict is not None
        assert request.verdict.allowed
        assert verdict.allowed
        refusals.note(account.key, request.verdict)
        budgets.headers(account, verdict)

    try:
        await measure(f"{label}: budget check", budget_check, checks, concurrency)
        await measure(f"{label}: both checks", both_checks, checks, concurrency)
    finally:
        await budgets.close()
        await limiter.close()
        if redis_url is not None:
            client = redis_asyncio.from_url(redis_url)
            keys = [key async for key in client.scan_iter(match=prefix + "*", count=1000)]
            for start in range(0, len(keys), 500):
                await client.delete(*keys[start : start + 500])
            await client.aclose()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()
    checks = max(1_000, min(args.checks, 1_000_000))
    concurrency = max(1, min(args.concurrency, 256))
    await run("memory", None, checks, concurrency)
    await run("redis", args.redis, checks, concurrency)


if __name__ == "__main__":
    asyncio.run(main())
