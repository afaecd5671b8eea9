"""Benchmark: aged debt over 50,000 invoices of one practice (a mix of paid, part-paid and open,
due dates spread over two years), as ``agedDebt(practiceId)`` computes it: one aggregate.

    .venv/bin/python bench/aged_debt.py [--sqlite] [--invoices 50000] [--repeat 50]

PostgreSQL by default (a fresh database, dropped at the end); ``--sqlite`` for comparison.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

from billing_support import database, run

from db.models import Invoice, Patient
from db.queries import payments as queries


async def main(postgres: bool, count: int, repeat: int) -> None:
    rng = random.Random(16)
    async with database(postgres) as (practice, first):
        patients = [first] + [
            Patient(
                id=uuid4(),
                practice_id=practice.id,
                patient_number=n + 2,
                first_name="Bench",
                last_name=f"P{n}",
                search_name=f"bench p{n}",
                date_of_birth=date(1980, 1, 1),
                last_activity_at=datetime.now(UTC),
            )
            for n in range(499)
        ]
        await Patient.bulk_create(patients[1:], batch_size=500)
        today = date.today()
        rows = []
        for n in range(count):
            total = rng.randint(2_000, 90_000)
            state = rng.random()
            paid = total if state < 0.6 else (rng.randint(1, total - 1) if state < 0.75 else 0)
            status = "PAID" if paid == total else ("PARTIALLY_PAID" if paid else "ISSUED")
            issued = datetime.now(UTC) - timedelta(days=rng.randint(0, 730))
            rows.append(
                Invoice(
                    id=uuid4(),
                    practice_id=practice.id,
                    patient_id=patients[n % 500].id,
                    status=status,
                    number=f"B-{n + 1}",
                    sequence_number=n + 1,
                    net_minor=total,
                    total_minor=total,
                    paid_minor=paid,
                    issued_at=issued,
                    tax_point=issued.date(),
                    due_on=issued.date() + timedelta(days=30),
                )
            )
        await Invoice.bulk_create(rows, batch_size=2000)
        open_count = sum(1 for r in rows if r.status != "PAID")
        times = []
        result = []
        for _ in range(repeat):
            began = time.perf_counter()
            result = await queries.aged_debt(practice.id, today)  # type: ignore[arg-type]
            times.append((time.perf_counter() - began) * 1000)
        assert result[0].invoices == open_count
        times.sort()
        backend = "PostgreSQL" if postgres else "SQLite"
        print(
            f"aged debt ({backend}): {count} invoices, {open_count} open, x{repeat}: median "
            f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95) - 1]:.2f} ms "
            "(goal < 200 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", action="store_true")
    parser.add_argument("--invoices", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=50)
    args = parser.parse_args()
    run(main(not args.sqlite, args.invoices, args.repeat))
