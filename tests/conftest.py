"""Shared fixtures: a clean database per test on SQLite and PostgreSQL, and the real app."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest

from db.config import close_database, open_database
from graph.app import create_app
from graph.settings import Settings, service_config
from services import runtime
from tests.databases import PostgresDatabase, SqliteTemplate, unavailable
from tests.realtime.harness import ENGINE_SHORTCUTS, PrivateRedis, Server, orm, server_env

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> SqliteTemplate:
    return SqliteTemplate(tmp_path_factory.mktemp("sqlite"))


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[PostgresDatabase]:
    try:
        database = PostgresDatabase.create()
    except (OSError, asyncpg.PostgresError) as error:
        unavailable("PostgreSQL", error)
    database.migrate()  # a broken migration fails the run; it is not "unreachable"
    yield database
    database.drop()


@pytest.fixture(scope="module")
def private_redis() -> Iterator[PrivateRedis]:
    """A Redis of the module's own on a free port, which its tests may stop and restart."""
    if shutil.which("redis-server") is None:
        unavailable("redis-server", FileNotFoundError("redis-server"))
    server = PrivateRedis()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> str:
    if backend == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.fresh_url()
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.truncate()
    return database.url


def make_settings(database_url: str, tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "var_dir": tmp_path / "var",
        "rate_limit_per_minute": 100_000,
        # Budgets (graph/budgets.py) out of the way; tests/graph/test_budgets*.py set their own.
        "budget_partner_per_minute": 10_000_000,
        "budget_first_party_per_minute": 10_000_000,
        "engine_shortcuts": ENGINE_SHORTCUTS,
        # Tests run jobs themselves (run_due); tests of the embedded runner turn it on.
        "jobs_in_process": False,
        **overrides,
    }
    return Settings(**values)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(database_url, tmp_path)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[str]:
    """The ORM opened on a clean database, for service-level tests."""
    runtime.configure(service_config(settings))
    await open_database(settings.database_url)
    try:
        yield settings.database_url
    finally:
        await close_database()


@pytest.fixture
async def client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The real app in process, lifespan run, spoken to over ASGI."""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture(autouse=True)
def _no_leaked_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("AESCRM_") and not name.startswith("AESCRM_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(scope="module")
def live_place(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    """A SQLite database and var dir shared by one module's real server and its test ORM."""
    return sqlite_template.fresh_url(), tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def live_server(live_place: tuple[str, Path]) -> Iterator[Server]:
    """A real uvicorn subprocess for the module (WebSocket end-to-end tests)."""
    running = Server(server_env(*live_place)).start()
    yield running
    running.stop()


@pytest.fixture
async def live_orm(live_place: tuple[str, Path]) -> AsyncIterator[None]:
    """The test's own ORM on the live server's database, with the server's keys."""
    async with orm(*live_place):
        yield
