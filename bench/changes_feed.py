"""Benchmark: one page of ``changes`` over a long event log (issue 19 part 5).

    .venv/bin/python bench/changes_feed.py [--sqlite] [--events 200000] [--repeat 30]

Two practices of one organisation: the first with ``--events`` events (appointments mostly,
some patient, consent and invoice changes: ~1 % invoices), the second with a tenth as many.
A receptionist-like principal of both reads a page of 100 (``services.changes.feed``) from the
start of the log, from its middle, at its head (nothing new), and invoices only (a sparse kind).
PostgreSQL by default (a fresh database, dropped at the end) also prints the plan of the log
read. The figure to watch: a page costs about the same wherever the cursor is.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from billing_support import database, run
from tortoise import connections

from db.models import Patient, Practice
from db.models.outbox import DomainEvent, PracticeSequence
from services import tenant_gate
from services.changes import cursors, feed
from services.changes.kinds import ChangeKind, domain_types
from services.policy import ROLE_SCOPES, Role
from services.principal import Principal

MIX = (
    ["appointment.booked"] * 40
    + ["appointment.status_changed"] * 30
    + ["appointment.rescheduled"] * 10
    + ["PATIENT_UPDATED"] * 12
    + ["consent.granted"] * 7
    + ["INVOICE_ISSUED"] * 1
)


async def _fill(
    practice: Practice, patients: list[Patient], count: int, rng: random.Random
) -> None:
    start = datetime.now(UTC) - timedelta(days=6)
    step = timedelta(days=6) / max(count, 1)
    rows = []
    for n in range(count):
        patient = patients[n % len(patients)]
        kind = rng.choice(MIX)
        rows.append(
            DomainEvent(
                id=uuid4(),
                organization_id=practice.organization_id,  # type: ignore[attr-defined]
                practice_id=practice.id,
                sequence=n + 1,
                topic="bench",
                type=kind,
                entity_id=patient.id if kind == "PATIENT_UPDATED" else uuid4(),
                patient_id=patient.id,
                payload={},
                occurred_at=start + step * n,
            )
        )
    await DomainEvent.bulk_create(rows, batch_size=5000)
    await PracticeSequence.create(practice_id=practice.id, last_sequence=count)


async def _timed(principal: Principal, repeat: int, **kwargs: object) -> tuple[float, float, int]:
    times, entries = [], 0
    for _ in range(repeat):
        began = time.perf_counter()
        page = await feed.changes(principal, first=100, **kwargs)  # type: ignore[arg-type]
        times.append((time.perf_counter() - began) * 1000)
        entries = len(page.entries)
    times.sort()
    return statistics.median(times), times[max(int(len(times) * 0.95) - 1, 0)], entries


async def main(postgres: bool, count: int, repeat: int) -> None:
    rng = random.Random(19)
    async with database(postgres) as (practice, first):
        second = await Practice.create(organization_id=practice.organization_id, name="Second")
        patients = {}
        for where in (practice, second):
            made = [
                Patient(
                    id=uuid4(),
                    practice_id=where.id,
                    patient_number=n + 2,
                    first_name="Bench",
                    last_name=f"P{n}",
                    search_name=f"bench p{n}",
                    date_of_birth=date(1980, 1, 1),
                    last_activity_at=datetime.now(UTC),
                )
                for n in range(500)
            ]
            await Patient.bulk_create(made, batch_size=500)
            patients[where.id] = made
        await _fill(practice, patients[practice.id], count, rng)
        await _fill(second, patients[second.id], count // 10, rng)
        if postgres:  # as autovacuum would after a real day of writes
            await connections.all()[0].execute_script("ANALYZE domain_event")
        scopes = ROLE_SCOPES[Role.RECEPTIONIST]
        org = tenant_gate.organization_of(practice)
        held = [tenant_gate.held_practice(p.id) for p in (practice, second)]
        principal = Principal(
            user_id=uuid4(),
            roles=frozenset({Role.RECEPTIONIST}),
            practice_scopes=dict.fromkeys(held, scopes),
            practice_organizations=dict.fromkeys(held, org),
            mfa_passed=True,
        )
        middle = cursors.encode({held[0]: count // 2, held[1]: count // 20})
        head = cursors.encode({held[0]: count, held[1]: count // 10})
        backend = "PostgreSQL" if postgres else "SQLite"
        print(f"changes ({backend}): {count} + {count // 10} events, pages of 100, x{repeat}")
        for label, kwargs in (
            ("from the start", {"since": None}),
            ("from the middle", {"since": middle}),
            ("at the head (nothing new)", {"since": head}),
            ("invoices only (~1 %)", {"since": None, "kinds": [ChangeKind.INVOICE]}),
        ):
            median, p95, entries = await _timed(principal, repeat, **kwargs)
            print(f"  {label:28} median {median:7.2f} ms  p95 {p95:7.2f} ms  ({entries} entries)")
        if postgres:
            types = domain_types(frozenset(ChangeKind))
            sql = (
                'EXPLAIN ANALYZE SELECT "practice_id","sequence","type","entity_id","patient_id",'
                '"payload","occurred_at" FROM "domain_event" WHERE "practice_id"=$1 AND '
                '"sequence">$2 AND ("type" = ANY($3::text[]) OR "sequence"=$4) '
                'ORDER BY "sequence" LIMIT 102'
            )
            plan = await connections.all()[0].execute_query_dict(
                sql, [str(held[0]), count // 2, types, count // 2 + 1]
            )
            print("  plan of the log read (from the middle):")
            for row in plan:
                print("   ", row["QUERY PLAN"])
        del first


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    run(main(not args.sqlite, max(1_000, min(args.events, 2_000_000)), max(1, args.repeat)))
