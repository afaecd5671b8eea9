"""Benchmark: ``toothChart`` for a patient with 200 historical entries, in process.

Creates a fresh SQLite database in a temporary directory, migrates it, seeds the small demo
(two practices, 5 patients each), gives one patient 200 chart entries (100 fillings planned and
then completed, each completion replacing its plan, 10 of them voided), then sends ``--requests``
``toothChart`` queries (all entries, notes decrypted, Palmer notation) straight into the ASGI
app. Prints the CPU milliseconds per request from ``time.process_time`` (the app and the
in-process client together, so an upper bound on the server's share) and wall latency.

    .venv/bin/python bench/tooth_chart.py [--requests 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import uuid4

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import ChartEntry, Membership, Patient, ProcedureItem, User
from graph.app import create_app
from graph.settings import Settings, service_config
from services import demo, runtime
from services.auth.sessions import dev_token
from services.patients import sealing

QUERY = """
query Chart($patientId: ID!) {
  toothChart(patientId: $patientId, notation: PALMER, includeVoided: true) {
    asOf entries { id tooth toothFdi surfaces code description status recordedAt notes }
  }
}"""
TEETH = (14, 15, 16, 17, 24, 25, 26, 27, 34, 35, 36, 37, 44, 45, 46, 47)


async def prepare(database_url: str, var_dir: Path) -> tuple[Settings, str, str, int]:
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
        await demo.seed(patients_per_practice=5)
        dentist = await User.get(email__startswith="dentist.harley@")
        membership = await Membership.get(user_id=dentist.id)
        patient = await Patient.filter(practice_id=membership.practice_id, patient_number=5).first()
        assert patient is not None
        item = await ProcedureItem.get(practice_id=patient.practice_id, code="CO1")
        start = datetime.now(UTC) - timedelta(days=400)
        rows: list[ChartEntry] = []
        for n in range(100):
            at = start + timedelta(days=n * 3)
            fields = {
                "practice_id": patient.practice_id,
                "patient_id": patient.id,
                "kind": "PROCEDURE",
                "code": "CO1",
                "procedure_id": item.id,
                "tooth": TEETH[n % len(TEETH)],
                "surfaces": "O",
                "recorded_by_user_id": dentist.id,
            }
            planned = ChartEntry(id=uuid4(), status="PLANNED", recorded_at=at, **fields)
            done = ChartEntry(
                id=uuid4(),
                status="COMPLETED",
                recorded_at=at + timedelta(days=1),
                replaces_id=planned.id,
                **fields,
            )
            for row in (planned, done):
                row.notes = sealing.seal(row, "notes", f"Visit {n}: occlusal composite, A2.")
            if n % 10 == 0:
                done.voided_at = done.recorded_at + timedelta(minutes=3)
                done.voided_by_user_id = dentist.id
            rows += [planned, done]
        await ChartEntry.bulk_create(rows)
        token = await dev_token(dentist.email)
        return settings, str(patient.id), token, len(rows)
    finally:
        await close_database()


async def measure(settings: Settings, patient_id: str, token: str, requests: int) -> None:
    app = create_app(settings)
    headers = {"authorization": f"Bearer {token}"}
    body = {"query": QUERY, "variables": {"patientId": patient_id}}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            shown = 0
            for _ in range(20):  # warm caches
                answer = (await client.post("/graphql", json=body, headers=headers)).json()
                assert "errors" not in answer, answer
                shown = len(answer["data"]["toothChart"]["entries"])
            walls, cpus = [], []
            for _ in range(requests):
                wall, cpu = time.perf_counter(), time.process_time()
                answer = (await client.post("/graphql", json=body, headers=headers)).json()
                cpus.append((time.process_time() - cpu) * 1000)
                walls.append((time.perf_counter() - wall) * 1000)
                assert "errors" not in answer, answer
    cpus.sort()
    walls.sort()
    print(f"entries shown per chart: {shown} (of 200 rows of history)")
    print(
        f"toothChart x{requests}: CPU median {statistics.median(cpus):.2f} ms, "
        f"p99 {cpus[int(len(cpus) * 0.99) - 1]:.2f} ms; wall median "
        f"{statistics.median(walls):.2f} ms"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=300)
    args = parser.parse_args()
    requests = max(10, min(args.requests, 10_000))
    with tempfile.TemporaryDirectory(prefix="aescrm-bench-chart-") as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        settings, patient_id, token, made = await prepare(url, Path(tmp) / "var")
        print(f"seeded {made} chart entries for one patient (SQLite)")
        await measure(settings, patient_id, token, requests)


if __name__ == "__main__":
    asyncio.run(main())
