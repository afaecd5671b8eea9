"""Benchmark: a full-mouth perio exam (32 teeth x 6 sites) saved as one ``recordPerioExam``
mutation, and read back with ``perioExam``, in process.

Creates a fresh SQLite database in a temporary directory, migrates it, seeds the small demo,
then for one patient sends ``--requests`` mutations (every site: depth, margin, bleeding,
suppuration, plaque; mobility; furcations on the molars), each a new FINAL exam, and as many
``perioExam`` reads of one exam (every field, CAL derived). Prints CPU milliseconds per request
from ``time.process_time`` (app and in-process client together, so an upper bound on the
server's share) and wall latency.

    .venv/bin/python bench/perio.py [--requests 200]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import Membership, Patient, User
from graph.app import create_app
from graph.settings import Settings, service_config
from services import demo, runtime
from services.auth.sessions import dev_token
from services.clinical import perio, teeth
from services.tenant_gate import operator_practice

RECORD = """
mutation R($input: RecordPerioExamInput!) { recordPerioExam(input: $input) { exam { id } } }
"""
READ = """
query E($id: ID!) { perioExam(id: $id) {
  id status examinedAt missingTeeth derivedBpe bleedingPercent plaquePercent
  teeth { tooth toothFdi siteNames probingDepths gingivalMargins attachmentLevels bleeding
          suppuration plaque mobility furcation { site grade } }
} }"""


def full_mouth() -> list[dict[str, Any]]:
    found = []
    for fdi in teeth.PERMANENT_TEETH:
        t = teeth.Tooth(fdi)
        found.append(
            {
                "tooth": str(fdi),
                "probingDepths": [(fdi + i) % 7 + 1 for i in range(6)],
                "gingivalMargins": [-((fdi + i) % 3) for i in range(6)],
                "bleeding": [(fdi + i) % 4 == 0 for i in range(6)],
                "suppuration": [(fdi + i) % 11 == 0 for i in range(6)],
                "plaque": [(fdi + i) % 3 == 0 for i in range(6)],
                "mobility": fdi % 3,
                "furcation": [{"site": s, "grade": 1} for s in perio.furcation_sites(t)],
            }
        )
    return found


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
        await demo.seed(patients_per_practice=5)
        dentist = await User.get(email__startswith="dentist.harley@")
        membership = await Membership.get(user_id=dentist.id)
        # A demo patient whose chart has no missing teeth, so all 32 may be charted.
        practice = operator_practice(membership.practice_id)
        patient = None
        for candidate in await Patient.filter(practice_id=practice).order_by("patient_number"):
            if not await perio.absent_teeth(practice, candidate.id, datetime.now(UTC)):
                patient = candidate
                break
        assert patient is not None
        return settings, str(patient.id), await dev_token(dentist.email)
    finally:
        await close_database()


def _line(name: str, cpus: list[float], walls: list[float]) -> str:
    cpus.sort()
    walls.sort()
    return (
        f"{name} x{len(cpus)}: CPU median {statistics.median(cpus):.2f} ms, "
        f"p99 {cpus[int(len(cpus) * 0.99) - 1]:.2f} ms; wall median "
        f"{statistics.median(walls):.2f} ms"
    )


async def measure(settings: Settings, patient_id: str, token: str, requests: int) -> None:
    app = create_app(settings)
    headers = {"authorization": f"Bearer {token}"}
    teeth_input = full_mouth()
    write = {
        "query": RECORD,
        "variables": {"input": {"patientId": patient_id, "teeth": teeth_input}},
    }
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            exam_id = ""
            for _ in range(10):  # warm caches
                answer = (await client.post("/graphql", json=write, headers=headers)).json()
                assert "errors" not in answer, answer
                exam_id = answer["data"]["recordPerioExam"]["exam"]["id"]
            read = {"query": READ, "variables": {"id": exam_id}}
            results: dict[str, tuple[list[float], list[float]]] = {}
            for name, body in (("recordPerioExam", write), ("perioExam", read)):
                walls, cpus = [], []
                for _ in range(requests):
                    wall, cpu = time.perf_counter(), time.process_time()
                    answer = (await client.post("/graphql", json=body, headers=headers)).json()
                    cpus.append((time.process_time() - cpu) * 1000)
                    walls.append((time.perf_counter() - wall) * 1000)
                    assert "errors" not in answer, answer
                results[name] = (cpus, walls)
            shown = answer["data"]["perioExam"]["teeth"]
    sites = sum(len(t["probingDepths"]) for t in shown)
    print(f"exam: {len(shown)} teeth, {sites} sites per request")
    for name, (cpus, walls) in results.items():
        print(_line(name, cpus, walls))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    requests = max(10, min(args.requests, 10_000))
    with tempfile.TemporaryDirectory(prefix="aescrm-bench-perio-") as tmp:
        url = f"sqlite://{tmp}/bench.sqlite3"
        settings, patient_id, token = await prepare(url, Path(tmp) / "var")
        print("full-mouth perio exam, one mutation each (SQLite)")
        await measure(settings, patient_id, token, requests)


if __name__ == "__main__":
    asyncio.run(main())
