"""Benchmark: a patient statement with 500 lines (invoices, credit notes, payments, deposits and
refunds) and the account balance, as ``Patient.account { balance statement { lines } }`` reads
them: one aggregate for the balance, two statements for the lines, merged and balanced in
memory.

    .venv/bin/python bench/statement.py [--postgres] [--repeat 200]
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from billing_support import database, run

from db.models import Invoice, Payment
from db.queries import payments as queries
from services.billing import statements


async def main(postgres: bool, repeat: int) -> None:
    async with database(postgres) as (practice, patient):
        start = datetime.now(UTC) - timedelta(days=600)
        invoices, payments = [], []
        for n in range(250):
            at = start + timedelta(days=n * 2)
            invoices.append(
                Invoice(
                    id=uuid4(),
                    practice_id=practice.id,
                    patient_id=patient.id,
                    kind="CREDIT_NOTE" if n % 25 == 24 else "INVOICE",
                    status="ISSUED",
                    number=f"B-{n + 1}",
                    sequence_number=n + 1,
                    net_minor=5000 + n,
                    total_minor=5000 + n,
                    issued_at=at,
                    tax_point=at.date(),
                )
            )
            kind = "REFUND" if n % 20 == 19 else ("DEPOSIT" if n % 10 == 3 else "PAYMENT")
            payments.append(
                Payment(
                    id=uuid4(),
                    practice_id=practice.id,
                    patient_id=patient.id,
                    kind=kind,
                    method="CASH",
                    amount_minor=4000 + n,
                    received_at=at + timedelta(hours=3),
                    deposit_state="APPLIED" if kind == "DEPOSIT" else None,
                )
            )
        await Invoice.bulk_create(invoices)
        await Payment.bulk_create(payments)
        times = []
        lines = 0
        for _ in range(repeat):
            began = time.perf_counter()
            totals = await queries.account_totals(practice.id, patient.id)  # type: ignore[arg-type]
            view = await statements.statement(
                practice.id,
                patient.id,
                None,
                None,
                "GBP",  # type: ignore[arg-type]
            )
            times.append((time.perf_counter() - began) * 1000)
            lines = len(view.lines)
            assert view.closing_minor == totals.balance
        times.sort()
        backend = "PostgreSQL" if postgres else "SQLite"
        print(
            f"statement ({backend}): {lines} lines + balance, x{repeat}: median "
            f"{statistics.median(times):.2f} ms, p95 {times[int(len(times) * 0.95) - 1]:.2f} ms "
            "(goal < 30 ms)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", action="store_true")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    run(main(args.postgres, args.repeat))
