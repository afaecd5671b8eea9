"""Patient search over 100,000 patients on PostgreSQL: median and p99, and the added cost of
decrypting the contact fields of a 50-patient page.

Usage: python bench/patient_search.py [--patients 100000] [--url postgres://...]
Creates (and drops) its own database next to the test database.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

from db.config import apply_migrations, close_database, open_database
from db.models import Organization, Patient, Practice
from db.tenancy import PracticeId
from services import runtime
from services.patients import fields, sealing
from services.patients.search import search_patients
from services.policy import ROLE_SCOPES, Role
from services.principal import Principal
from services.tenant_gate import held_practice

BASE = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
LAST = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Robinson",
    "Wright",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Wood",
    "Jackson",
    "Clarke",
    "O'Brien",
    "Ångström",
    "Nguyen",
    "Kowalski",
    "MacDonald",
]
FIRST = [
    "Oliver",
    "Amelia",
    "George",
    "Isla",
    "Harry",
    "Ava",
    "Noah",
    "Mia",
    "Jack",
    "Zoë",
    "Leo",
    "Grace",
    "Arthur",
    "Freya",
    "Muhammad",
    "Lily",
    "Oscar",
    "Ella",
    "Charlie",
    "Sophie",
]


async def _seed(count: int) -> tuple[PracticeId, Principal]:
    org = await Organization.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
    practice = await Practice.create(organization=org, name="Bench Practice")
    rng = random.Random(7)
    now = datetime.now(UTC)
    batch: list[Patient] = []
    for number in range(1, count + 1):
        patient = Patient(
            id=uuid.uuid4(),
            practice_id=practice.id,
            patient_number=number,
            date_of_birth=date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000)),
            last_activity_at=now,
        )
        values = {
            "first_name": rng.choice(FIRST),
            "last_name": rng.choice(LAST) + str(rng.randint(1, 400)),
            "email": f"p{number}@example.com",
            "mobile_phone": f"07700 {number:06d}",
        }
        fields.apply(patient, values, compare=False)
        batch.append(patient)
        if len(batch) == 5000:
            await Patient.bulk_create(batch)
            batch = []
    if batch:
        await Patient.bulk_create(batch)
    pid = held_practice(practice.id)  # the bench's receptionist holds this practice
    principal = Principal(
        user_id=uuid.uuid4(),
        roles=frozenset({Role.RECEPTIONIST}),
        practice_scopes={pid: ROLE_SCOPES[Role.RECEPTIONIST]},
        mfa_passed=True,
    )
    return pid, principal


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _time(label: str, runs: int, work: object) -> None:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()  # type: ignore[operator]
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<44} median {statistics.median(samples):7.2f} ms"
        f"   p99 {_pct(samples, 0.99):7.2f} ms"
    )


async def main(count: int, url: str) -> None:
    name = f"aescrm_bench_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    target = url.rpartition("/")[0] + "/" + name
    try:
        await apply_migrations(target)
        runtime.configure(
            runtime.ServiceConfig(dev_key_file=Path(tempfile.gettempdir()) / f"{name}-keys.json")
        )
        await open_database(target)
        start = time.perf_counter()
        pid, principal = await _seed(count)
        print(
            f"seeded {count} patients in {time.perf_counter() - start:.1f} s"
            f" (cpus: {os.cpu_count()})"
        )
        rng = random.Random(1)

        async def by(term_of: object) -> None:
            await search_patients(
                principal, practice_id=pid, search=term_of(), first=50, after=None
            )  # type: ignore[operator]

        await _time(
            "name prefix (last name, 3 letters)", 200, lambda: by(lambda: rng.choice(LAST)[:3])
        )
        await _time("name prefix (first name word)", 100, lambda: by(lambda: rng.choice(FIRST)))
        await _time(
            "full last name (about 10 matches)",
            200,
            lambda: by(lambda: rng.choice(LAST) + str(rng.randint(1, 400))),
        )
        await _time("date of birth", 200, lambda: by(lambda: "1975-06-01"))
        await _time(
            "exact email (blind index)",
            200,
            lambda: by(lambda: f"p{rng.randint(1, count)}@example.com"),
        )
        await _time(
            "exact mobile (blind index)",
            200,
            lambda: by(lambda: f"07700 {rng.randint(1, count):06d}"),
        )
        await _time("patient number", 200, lambda: by(lambda: str(rng.randint(1, count))))
        page = (
            await search_patients(principal, practice_id=pid, search="", first=50, after=None)
        ).patients

        async def decrypt_page() -> None:
            for patient in page:
                sealing.reveal(patient, "email")
                sealing.reveal(patient, "mobile_phone")

        await _time("decrypt email+mobile of a 50-patient page", 200, decrypt_page)
        await _time("first page, no search (50 rows)", 200, lambda: by(lambda: None))
    finally:
        await close_database()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--url", default=BASE)
    args = parser.parse_args()
    asyncio.run(main(args.patients, args.url))
