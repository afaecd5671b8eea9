"""Test databases: a migrated template per backend per run, a clean copy per test.

SQLite: the migrated template file is copied for each test. PostgreSQL: one database per run
(named after the process), emptied with TRUNCATE before each test. Under CI=true an unreachable
PostgreSQL or Redis fails the run instead of skipping.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

import asyncpg
import pytest
import redis

from db.config import apply_migrations

POSTGRES_URL = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("AESCRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
T = TypeVar("T")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def run_isolated(coroutine: Coroutine[Any, Any, T]) -> T:
    """Runs set-up coroutines on a private loop in a thread (fixtures may sit inside a loop)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def unavailable(what: str, error: Exception) -> None:
    message = f"{what} is not reachable ({error.__class__.__name__}: {error})"
    if IN_CI:
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


def _server_url(database: str) -> str:
    base, _, _ = POSTGRES_URL.rpartition("/")
    return f"{base}/{database}"


class SqliteTemplate:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.template = root / "template.sqlite3"
        run_isolated(apply_migrations(f"sqlite://{self.template}"))

    def fresh_url(self) -> str:
        target = self.root / f"{uuid.uuid4().hex}.sqlite3"
        shutil.copyfile(self.template, target)
        return f"sqlite://{target}"


class PostgresDatabase:
    def __init__(self) -> None:
        self.name = f"aescrm_test_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.url = _server_url(self.name)
        self.tables: list[str] = []

    @classmethod
    def create(cls) -> PostgresDatabase:
        database = cls()
        run_isolated(database._create())
        return database

    def migrate(self) -> None:
        run_isolated(apply_migrations(self.url))
        self.tables = run_isolated(self._tables())

    async def _create(self) -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{self.name}"')
        finally:
            await connection.close()

    async def _tables(self) -> list[str]:
        connection = await asyncpg.connect(self.url)
        try:
            rows = await connection.fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' "
                "AND tablename NOT LIKE 'tortoise%'"
            )
        finally:
            await connection.close()
        return sorted(row["tablename"] for row in rows)

    def truncate(self) -> None:
        run_isolated(self._truncate())

    async def _truncate(self) -> None:
        connection = await asyncpg.connect(self.url)
        try:
            tables = ", ".join(f'"{t}"' for t in self.tables)
            await connection.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        finally:
            await connection.close()

    def drop(self) -> None:
        async def run() -> None:
            connection = await asyncpg.connect(POSTGRES_URL)
            try:
                await connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            finally:
                await connection.close()

        run_isolated(run())


def redis_reachable() -> None:
    try:
        redis.Redis.from_url(REDIS_URL, socket_timeout=2).ping()
    except redis.RedisError as error:
        unavailable("Redis", error)
