"""What permission checks and audit writes add to a 200-row patient query.

Runs in process (ASGI transport, no network) against a fresh SQLite database (or PostgreSQL with
--postgres URL), seeded with demo data plus enough patients for two 100-row pages. The same
query is timed four ways: as served; with the @requires checks short-circuited; with the
per-request audit batch not written; with both off. Figures: median and p99 per variant, and the
added cost of each mechanism (as served minus the variant without it).

    .venv/bin/python bench/auth_overhead.py [--iterations 200] [--postgres postgres://…/db]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any

import httpx

from db.config import apply_migrations, close_database, open_database
from db.models import Patient, Practice, User
from graph import audit_extension
from graph.app import create_app
from graph.permissions import fields
from graph.settings import Settings, service_config
from services import demo, runtime
from services.auth.sessions import dev_token

QUERY = """
query Page($practiceId: ID!, $after: String) {
  patients(practiceId: $practiceId, first: 100, after: $after) {
    edges { cursor node {
      id patientNumber firstName lastName dateOfBirth hasMedicalAlert email mobilePhone
    } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def prepare(database_url: str, var_dir: Path) -> tuple[Settings, str, str]:
    settings = Settings(
        database_url=database_url,
        var_dir=var_dir,
        rate_limit_per_minute=10**7,
        budget_first_party_per_minute=10**7,  # measure the work, not the budgets
        budget_partner_per_minute=10**7,
    )
    runtime.configure(service_config(settings))
    await apply_migrations(database_url)
    await open_database(database_url)
    try:
        await demo.seed(patients_per_practice=220)
        practice = await Practice.filter(name__startswith="Harley").first()
        assert practice is not None
        dentist = await User.get(email=f"dentist.harley@{demo.DEMO_DOMAIN}")
        token = await dev_token(dentist.email)
        count = await Patient.filter(practice_id=practice.id).count()
        print(f"practice has {count} patients")
        return settings, str(practice.id), token
    finally:
        await close_database()


@contextmanager
def disabled(permissions: bool, audit: bool) -> Iterator[None]:
    original_check = fields.HasScope.has_permission
    original_flush = audit_extension.FlushReadTrail.on_operation

    async def no_flush(self: Any) -> AsyncIterator[None]:
        yield

    if permissions:
        fields.HasScope.has_permission = lambda self, source, info, **kw: True  # type: ignore[method-assign]
    if audit:
        audit_extension.FlushReadTrail.on_operation = no_flush  # type: ignore[method-assign,assignment]
    try:
        yield
    finally:
        fields.HasScope.has_permission = original_check  # type: ignore[method-assign]
        audit_extension.FlushReadTrail.on_operation = original_flush  # type: ignore[method-assign]


@asynccontextmanager
async def client_for(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            yield client


async def two_pages(client: httpx.AsyncClient, practice_id: str, token: str) -> int:
    headers = {"authorization": f"Bearer {token}"}
    rows, after = 0, None
    for _ in range(2):
        response = await client.post(
            "/graphql",
            json={"query": QUERY, "variables": {"practiceId": practice_id, "after": after}},
            headers=headers,
        )
        body = response.json()
        assert "errors" not in body, body
        page = body["data"]["patients"]
        rows += len(page["edges"])
        after = page["pageInfo"]["endCursor"]
    return rows


async def measure(
    settings: Settings, practice_id: str, token: str, iterations: int
) -> dict[str, tuple[list[float], list[float]]]:
    """Variants interleaved round-robin, so machine noise hits them alike. Wall and CPU ms."""
    samples: dict[str, tuple[list[float], list[float]]] = {v: ([], []) for v in VARIANTS}
    async with client_for(settings) as client:
        for _ in range(10):  # warm caches
            await two_pages(client, practice_id, token)
        for n in range(iterations):
            names = list(VARIANTS)
            for name in names[n % 4 :] + names[: n % 4]:
                with disabled(*VARIANTS[name]):
                    wall, cpu = time.perf_counter(), time.process_time()
                    rows = await two_pages(client, practice_id, token)
                    samples[name][0].append((time.perf_counter() - wall) * 1000)
                    samples[name][1].append((time.process_time() - cpu) * 1000)
                assert rows == 200, rows
    return samples


def summary(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[int(len(ordered) * 0.99) - 1]


VARIANTS = {
    "as served": (False, False),
    "no @requires checks": (True, False),
    "no audit batch": (False, True),
    "neither": (True, True),
}


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--iterations", type=int, default=200)
    parser.add_argument("--postgres", help="a fresh PostgreSQL database URL to use instead")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.postgres or f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        settings, practice_id, token = await prepare(url, Path(tmp) / "var")
        samples = await measure(settings, practice_id, token, args.iterations)
    backend = "postgres" if args.postgres else "sqlite"
    print(f"200-row patient query (2 pages of 100), {args.iterations} runs each, {backend}")
    medians = {}
    for name, (wall, cpu) in samples.items():
        wall_median, wall_p99 = summary(wall)
        cpu_median, _ = summary(cpu)
        medians[name] = cpu_median
        print(
            f"  {name:<20} wall median {wall_median:7.2f} ms  p99 {wall_p99:7.2f} ms"
            f"   CPU median {cpu_median:7.2f} ms"
        )
    served = medians["as served"]
    print(
        f"  added CPU (median): @requires checks {served - medians['no @requires checks']:+.2f} ms,"
        f" audit batch {served - medians['no audit batch']:+.2f} ms,"
        f" both {served - medians['neither']:+.2f} ms"
    )


if __name__ == "__main__":
    asyncio.run(main())
