"""Shared set-up for the billing benches: a fresh database (SQLite in a temporary directory, or
a new PostgreSQL database dropped at the end), migrated, with one practice and one patient."""

from __future__ import annotations

import asyncio
import os
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from db.config import apply_migrations, close_database, open_database
from db.models import Organization, Patient, Practice
from graph.settings import Settings, service_config
from services import runtime

POSTGRES_ADMIN_URL = os.environ.get(
    "AESCRM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
)


async def _admin(statement: str) -> None:
    connection = await asyncpg.connect(f"{POSTGRES_ADMIN_URL}/postgres", timeout=5)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@asynccontextmanager
async def database(postgres: bool) -> AsyncIterator[tuple[Practice, Patient]]:
    with tempfile.TemporaryDirectory() as tmp:
        name = f"aescrm_bench_billing_{uuid.uuid4().hex[:8]}"
        if postgres:
            await _admin(f'CREATE DATABASE "{name}"')
            url = f"{POSTGRES_ADMIN_URL}/{name}"
        else:
            url = f"sqlite://{Path(tmp) / 'bench.sqlite3'}"
        settings = Settings(database_url=url, var_dir=Path(tmp))
        runtime.configure(service_config(settings))
        try:
            await apply_migrations(url)
            await open_database(url)
            org = await Organization.create(name="Bench org", slug=f"bench-{uuid.uuid4().hex[:6]}")
            practice = await Practice.create(organization=org, name="Bench practice")
            patient = await Patient.create(
                practice_id=practice.id,
                patient_number=1,
                first_name="Bench",
                last_name="Patient",
                search_name="bench patient",
                date_of_birth="1980-01-01",
                last_activity_at="2026-01-01T00:00:00+00:00",
            )
            yield practice, patient
        finally:
            await close_database()
            if postgres:
                await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def run(main: object) -> None:
    asyncio.run(main)  # type: ignore[arg-type]
