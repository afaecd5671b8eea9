"""Batch recall over 200,000 injection points across 20 practices on PostgreSQL (issue 15).

Creates (and drops) its own database next to the test database, migrates it and seeds one
organisation of 20 practices, each with 500 patients, 20 toxin batches (lots ``LOT-00`` to
``LOT-19``, the same manufacturer lots in every practice) and 2,000 treatments of 5 points each
from one batch: 10,000 points per practice, 200,000 in all. Then times, through the service a
resolver calls (one SQL statement, the visibility policy for every patient row, the safety-notice
contact decision, and the CSV):

- ``patientsTreatedWithBatch`` for a dentist of one practice (one batch: 100 visits);
- ``patientsTreatedWithLot`` for the organisation's admin (the lot in all 20 practices:
  2,000 visits).

Prints p50 and p99 in milliseconds. Goal: under 100 ms.

    .venv/bin/python bench/batch_recall.py [--points 200000] [--runs 200] [--url postgres://...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import (
    Batch,
    InjectableTreatment,
    InjectionPoint,
    Organization,
    Patient,
    Practice,
    Practitioner,
    Product,
    User,
)
from db.tenancy import OrganizationId, PracticeId
from services import runtime
from services.aesthetics import recall
from services.patients import fields
from services.policy import ROLE_SCOPES, Role
from services.principal import Principal
from services.tenant_gate import held_organization, held_practice

BASE = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
PRACTICES = 20
PATIENTS = 500
BATCHES = 20
POINTS_PER_VISIT = 5
ZONES = ("GLABELLA", "FOREHEAD", "CROWS_FEET_L", "CROWS_FEET_R", "BUNNY_LINES")


async def _seed(
    points: int,
) -> tuple[OrganizationId, list[PracticeId], dict[PracticeId, list[uuid.UUID]]]:
    rng = random.Random(15)
    org = await Organization.create(name="Bench Aesthetics", slug=f"bench-{uuid.uuid4().hex[:6]}")
    product = await Product.create(
        organization_id=org.id, name="Bench toxin", brand="Bench", kind="TOXIN", unit="UNITS"
    )
    user = await User.create(
        email="bench.doctor@example.test",
        full_name="Bench",
        password_hash="unusable",  # noqa: S106 - a bench user never signs in
    )
    now = datetime.now(UTC)
    per_practice = points // PRACTICES
    visits = per_practice // POINTS_PER_VISIT
    practices: list[PracticeId] = []
    batches: dict[PracticeId, list[uuid.UUID]] = {}
    for n in range(PRACTICES):
        practice = await Practice.create(organization=org, name=f"Bench Clinic {n:02d}")
        pid = held_practice(practice.id)
        practices.append(pid)
        doctor = await Practitioner.create(
            practice_id=pid, user_id=user.id, display_name="Dr Bench", role="DOCTOR"
        )
        patients = []
        for number in range(1, PATIENTS + 1):
            patient = Patient(
                id=uuid.uuid4(),
                practice_id=pid,
                patient_number=number,
                date_of_birth=date(1960, 1, 1) + timedelta(days=rng.randint(0, 15_000)),
                last_activity_at=now,
            )
            fields.apply(
                patient,
                {
                    "first_name": "Bench",
                    "last_name": f"Patient{n:02d}x{number}",
                    "email": f"p{n}x{number}@example.com" if number % 3 else None,
                },
                compare=False,
            )
            patients.append(patient)
        await Patient.bulk_create(patients)
        rows = [
            Batch(
                id=uuid.uuid4(),
                practice_id=pid,
                product_id=product.id,
                lot_number=f"LOT-{b:02d}",
                expires_on=date(2031, 1, 1),
                quantity_received_milli=10**9,
                on_hand_milli=10**9,
                received_on=date(2025, 1, 1),
            )
            for b in range(BATCHES)
        ]
        await Batch.bulk_create(rows)
        batches[pid] = [r.id for r in rows]
        treatments, injected = [], []
        for v in range(visits):
            when = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 600))
            patient = patients[rng.randrange(PATIENTS)]
            batch_id = rows[v % BATCHES].id
            treatment = InjectableTreatment(
                id=uuid.uuid4(),
                practice_id=pid,
                patient_id=patient.id,
                practitioner_id=doctor.id,
                treated_at=when,
            )
            treatments.append(treatment)
            for position in range(POINTS_PER_VISIT):
                injected.append(
                    InjectionPoint(
                        id=uuid.uuid4(),
                        practice_id=pid,
                        patient_id=patient.id,
                        treatment_id=treatment.id,
                        product_id=product.id,
                        batch_id=batch_id,
                        amount_milli=4000,
                        depth="INTRAMUSCULAR",
                        technique="BOLUS",
                        map_key="FACE_FRONT",
                        map_version=1,
                        zone=ZONES[position],
                        x=rng.random(),
                        y=rng.random(),
                        position=position,
                        treated_at=when,
                    )
                )
        await InjectableTreatment.bulk_create(treatments, batch_size=5000)
        await InjectionPoint.bulk_create(injected, batch_size=5000)
    return held_organization(org.id), practices, batches


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _time(label: str, runs: int, work: Callable[[], Awaitable[int]]) -> None:
    rows = await work()  # warm-up (and the row count printed)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        await work()
        samples.append((time.perf_counter() - start) * 1000)
    print(
        f"{label:<52} rows {rows:5d}   p50 {statistics.median(samples):7.2f} ms"
        f"   p99 {_pct(samples, 0.99):7.2f} ms"
    )


async def main(points: int, runs: int, url: str) -> None:
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
        org, practices, batches = await _seed(points)
        total = await InjectionPoint.all().count()
        print(
            f"seeded {total} injection points in {len(practices)} practices in "
            f"{time.perf_counter() - start:.1f} s (cpus: {os.cpu_count()})"
        )
        # Freshly bulk-loaded: statistics and the visibility map, as autovacuum keeps them.
        await Batch._meta.db.execute_script("VACUUM ANALYZE")
        first = practices[0]
        dentist = Principal(
            user_id=uuid.uuid4(),
            roles=frozenset({Role.DENTIST}),
            practice_scopes={first: ROLE_SCOPES[Role.DENTIST]},
            practice_organizations={first: org},
            mfa_passed=True,
        )
        org_admin = Principal(
            user_id=uuid.uuid4(),
            roles=frozenset({Role.ORG_ADMIN}),
            practice_scopes=dict.fromkeys(practices, ROLE_SCOPES[Role.ORG_ADMIN]),
            practice_organizations=dict.fromkeys(practices, org),
            mfa_passed=True,
        )
        rng = random.Random(3)

        async def by_batch() -> int:
            found = await recall.by_batch(dentist, batch_id=rng.choice(batches[first]))
            found.csv()
            return len(found.rows)

        async def by_lot() -> int:
            lot = f"LOT-{rng.randrange(BATCHES):02d}"
            found = await recall.by_lot(org_admin, organization_id=org, lot_number=lot)
            found.csv()
            return len(found.rows)

        await _time("patientsTreatedWithBatch (one practice's batch)", runs, by_batch)
        await _time("patientsTreatedWithLot (ORG_ADMIN, 20 practices)", runs, by_lot)
    finally:
        await close_database()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--points", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--url", default=BASE)
    args = parser.parse_args()
    asyncio.run(main(args.points, args.runs, args.url))
