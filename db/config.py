"""Tortoise configuration and lifecycle, built from a database URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from tortoise import Tortoise
from tortoise.migrations.api import migrate

from db.crypto import KeyRing
from db.migration_keys import MIGRATION_KEYRING

MODELS_MODULE = "db.models"
MIGRATIONS_MODULE = "db.migrations"


def tortoise_config(database_url: str) -> dict[str, Any]:
    if database_url.startswith("sqlite://"):
        path = database_url.removeprefix("sqlite://")
        if path not in (":memory:", "") and not path.startswith("/"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    # The connection is named after its backend: Tortoise caches compiled statements per
    # connection name, so one process (the test suite) can use both backends safely.
    name = connection_name(database_url)
    if database_url.startswith("sqlite://") and "secure_delete" not in database_url:
        # Deleted or overwritten values are zeroed in the file, not left in free space.
        database_url += ("&" if "?" in database_url else "?") + "secure_delete=ON"
    return {
        "connections": {name: database_url},
        "apps": {
            "models": {
                "models": [MODELS_MODULE],
                "migrations": MIGRATIONS_MODULE,
                "default_connection": name,
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def open_database(database_url: str) -> None:
    """Connect for serving; the global fallback lets request tasks see the lifespan's context."""
    await Tortoise.init(config=tortoise_config(database_url), _enable_global_fallback=True)


async def close_database() -> None:
    await Tortoise.close_connections()


async def apply_migrations(database_url: str, *, keyring: KeyRing | None = None) -> None:
    """Apply every migration; ``keyring`` lets data migrations encrypt existing rows."""
    token = MIGRATION_KEYRING.set(keyring)
    try:
        await migrate(config=tortoise_config(database_url))
    finally:
        MIGRATION_KEYRING.reset(token)
        await Tortoise.close_connections()


def pooled_url(database_url: str) -> str:
    """The URL to reach PostgreSQL through a transaction-pooling PgBouncer.

    PgBouncer hands each transaction (and each statement outside one) to any of its server
    connections, where a statement prepared on another connection does not exist. Debian 12's
    PgBouncer 1.18 cannot track prepared statements (``max_prepared_statements`` came in 1.21),
    so asyncpg must keep none: with ``statement_cache_size=0`` it uses the unnamed statement,
    parsed again in the same Parse/Bind/Execute exchange, which PgBouncer keeps on one server.
    """
    parts = urlsplit(database_url)
    query = dict(parse_qsl(parts.query))
    query["statement_cache_size"] = "0"
    return urlunsplit(parts._replace(query=urlencode(query)))


def same_server(first_url: str, second_url: str) -> bool:
    """Both URLs name the same host and port (PostgreSQL's default port when left out)."""
    a, b = urlsplit(first_url), urlsplit(second_url)
    return (a.hostname, a.port or 5432) == (b.hostname, b.port or 5432)


def backend_of(database_url: str) -> str:
    return "sqlite" if database_url.startswith("sqlite") else "postgres"


def connection_name(database_url: str) -> str:
    return backend_of(database_url)
