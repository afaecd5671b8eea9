"""Benchmark: issuing invoices concurrently on PostgreSQL, with the numbering checked.

Creates a fresh PostgreSQL database ``aescrm_bench_invoices_<random>`` on
``postgres://postgres@127.0.0.1:5432`` (override with ``AESCRM_BENCH_POSTGRES_URL``), migrates
it, makes one practice, a receptionist and ``--patients`` patients, then drafts ``--invoices``
invoices (two lines each: one VAT-exempt, one standard-rated) and issues them through the
service (``services.billing.invoices.issue``: number, VAT, ledger entry, audit row, outbox event
in one unit of work), ``--concurrency`` at a time. Prints issues per second and latency, then
checks the numbers are exactly 1..N (no gap, no duplicate) and the practice's ledger verifies.
The database is dropped at the end. Pass ``--sqlite`` to run the same on a temporary SQLite file.

    .venv/bin/python bench/invoices.py [--invoices 1000] [--concurrency 50] [--sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import Invoice
from graph.settings import Settings, service_config
from services import runtime
from services.auth.principal_loader import principal_for_user
from services.billing import invoices, ledger_integrity
from services.billing.money import Money
from services.billing.vat import VatCategory
from services.policy import Role
from services.principal import RequestMeta
from tests import factories

ADMIN_URL = os.environ.get("AESCRM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{ADMIN_URL}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


async def run(database_url: str, var_dir: Path, args: argparse.Namespace) -> None:
    settings = Settings(database_url=database_url, var_dir=var_dir)
    runtime.configure(service_config(settings))
    await apply_migrations(database_url)
    await open_database(database_url)
    try:
        practice = await factories.practice(name="Leith Walk Dental")
        user = await factories.user(Role.RECEPTIONIST, practice)
        principal = await principal_for_user(user, mfa_passed=True, claims={}, meta=RequestMeta())
        patients = [await factories.patient(practice) for _ in range(args.patients)]
        started = time.perf_counter()
        drafts = []
        for n in range(args.invoices):
            view = await invoices.create(
                principal,
                patient_id=patients[n % len(patients)].id,
                lines=[
                    invoices.NewLine("Examination", Money(5500), VatCategory.EXEMPT, code="EXAM"),
                    invoices.NewLine("Whitening gel", Money(1999 + n % 7), VatCategory.STANDARD),
                ],
            )
            drafts.append(view.invoice.id)
        drafted = time.perf_counter() - started
        print(f"drafted {len(drafts)} invoices in {drafted:.2f} s")

        latencies: list[float] = []
        gate = asyncio.Semaphore(args.concurrency)

        async def issue(invoice_id: object) -> None:
            async with gate:
                t0 = time.perf_counter()
                await invoices.issue(principal, invoice_id=invoice_id)  # type: ignore[arg-type]
                latencies.append(time.perf_counter() - t0)

        started = time.perf_counter()
        await asyncio.gather(*(issue(d) for d in drafts))
        elapsed = time.perf_counter() - started
        numbers = sorted(
            await Invoice.filter(practice_id=practice.id, status="ISSUED").values_list(
                "sequence_number", flat=True
            )
        )
        intact = numbers == list(range(1, len(drafts) + 1))
        report = await ledger_integrity.verify(practice.id)
        ms = sorted(x * 1000 for x in latencies)
        print(
            f"issued {len(drafts)} invoices, {args.concurrency} at a time: {elapsed:.2f} s, "
            f"{len(drafts) / elapsed:.0f} invoices/s; latency median {statistics.median(ms):.1f} "
            f"ms, p95 {ms[int(len(ms) * 0.95) - 1]:.1f} ms, max {ms[-1]:.1f} ms"
        )
        print(f"numbering 1..{len(drafts)} intact (no gap, no duplicate): {intact}")
        print(f"ledger: {'; '.join(report.lines)}")
        if not intact or not report.ok:
            raise SystemExit(1)
    finally:
        await close_database()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--patients", type=int, default=100)
    parser.add_argument("--sqlite", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="aescrm-bench-invoices-") as tmp:
        if args.sqlite:
            print("backend: SQLite")
            asyncio.run(run(f"sqlite://{tmp}/bench.sqlite3", Path(tmp), args))
            return
        name = f"aescrm_bench_invoices_{uuid.uuid4().hex[:8]}"
        asyncio.run(_admin(f"CREATE DATABASE {name}"))
        try:
            print("backend: PostgreSQL")
            asyncio.run(run(f"{ADMIN_URL}/{name}", Path(tmp), args))
        finally:
            asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


if __name__ == "__main__":
    main()
