"""Settings from ``AESCRM_*``: typed parsing, and production refusing development defaults."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from db.crypto import generate_key_material
from graph.settings import (
    DEFAULT_DATABASE_URL,
    DEV_SECRET_KEY,
    ConfigurationRefused,
    Environment,
    Settings,
    load_settings,
)
from services.policy import Role

SECRET = "AESCRM_SECRET_KEY must be set to a random value of 32+ characters"
SQLITE = "AESCRM_DATABASE_URL must point at PostgreSQL, not SQLite"
BUS = (
    "AESCRM_BROADCAST_URL must be redis:// or postgres:// when AESCRM_WORKERS > 1 "
    "(an in-memory bus does not reach other processes)"
)
JWT = "AESCRM_JWT_KEYS must be set (token signing keys)"
ENCRYPTION = "AESCRM_ENCRYPTION_KEYS must be set (field encryption keys)"
BLIND = "AESCRM_BLIND_INDEX_KEY must be set (searchable identifier key)"
GRAPHIQL = "AESCRM_GRAPHIQL must not be enabled in production"


def production_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """A complete, acceptable production configuration."""
    keys = generate_key_material()
    for name, value in {
        "AESCRM_ENV": "production",
        "AESCRM_DATABASE_URL": "postgres://aescrm@db.internal:5432/aescrm",
        "AESCRM_BROADCAST_URL": "redis://cache.internal:6379/0",
        "AESCRM_SECRET_KEY": "s" * 40,
        "AESCRM_JWT_KEYS": "k1:" + "a" * 40 + ",k2:" + "b" * 40,
        "AESCRM_WORKERS": "4",
        **keys,
    }.items():
        monkeypatch.setenv(name, value)


def refusal(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    with pytest.raises(ConfigurationRefused) as caught:
        load_settings()
    text = str(caught.value)
    assert text.startswith("refusing to start in production:\n")
    return [line.removeprefix("- ") for line in text.splitlines()[1:]]


def test_development_defaults() -> None:
    settings = load_settings()
    assert settings.env is Environment.DEVELOPMENT
    assert settings.database_url == DEFAULT_DATABASE_URL
    assert settings.broadcast_url == "memory://"
    assert settings.secret_key == DEV_SECRET_KEY
    assert (settings.host, settings.port) == ("127.0.0.1", 8000)
    assert settings.allowed_origins == []
    assert settings.graphiql_enabled
    assert settings.introspection_open
    assert settings.get_queries_enabled
    assert not settings.legacy_graphql_ws
    assert settings.production_problems() == []


def test_production_with_development_defaults_names_every_problem(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AESCRM_ENV", "production")
    monkeypatch.setenv("AESCRM_WORKERS", "2")
    monkeypatch.setenv("AESCRM_GRAPHIQL", "true")
    assert refusal(monkeypatch) == [SECRET, SQLITE, BUS, JWT, ENCRYPTION, BLIND, GRAPHIQL]


def test_production_with_only_the_env_set_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_ENV", "production")
    assert refusal(monkeypatch) == [SECRET, SQLITE, JWT, ENCRYPTION, BLIND]


def test_complete_production_configuration_is_accepted(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    settings = load_settings()
    assert settings.is_production
    assert not settings.graphiql_enabled
    assert not settings.introspection_open
    assert settings.workers == 4


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [
        ("AESCRM_SECRET_KEY", DEV_SECRET_KEY, SECRET),
        ("AESCRM_SECRET_KEY", "short-secret", SECRET),
        ("AESCRM_DATABASE_URL", "sqlite:///srv/aescrm.sqlite3", SQLITE),
        ("AESCRM_BROADCAST_URL", "memory://", BUS),
        ("AESCRM_GRAPHIQL", "1", GRAPHIQL),
    ],
)
def test_each_development_default_is_refused_on_its_own(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, problem: str
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv(name, value)
    assert refusal(monkeypatch) == [problem]


@pytest.mark.parametrize("name", ["AESCRM_JWT_KEYS", "AESCRM_ENCRYPTION_KEYS"])
def test_each_missing_key_is_refused_on_its_own(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    production_env(monkeypatch)
    monkeypatch.delenv(name)
    assert refusal(monkeypatch) == [JWT if name == "AESCRM_JWT_KEYS" else ENCRYPTION]


def test_memory_bus_is_fine_with_one_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("AESCRM_BROADCAST_URL", "memory://")
    monkeypatch.setenv("AESCRM_WORKERS", "1")
    assert load_settings().broadcast_url == "memory://"


def test_a_postgres_bus_serves_several_workers_without_redis(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    production_env(monkeypatch)
    monkeypatch.setenv("AESCRM_BROADCAST_URL", "postgres://aescrm@db.internal:5432/aescrm")
    settings = load_settings()
    assert settings.workers == 4
    assert settings.redis_url is None  # rate limits are then per process


def test_an_unknown_bus_scheme_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_BROADCAST_URL", "kafka://broker:9092")
    with pytest.raises(ValueError, match="must start with memory:"):
        load_settings()


def test_allowed_origins_are_comma_separated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AESCRM_ALLOWED_ORIGINS", " https://app.example.test , https://partner.example.test,, "
    )
    assert load_settings().allowed_origins == [
        "https://app.example.test",
        "https://partner.example.test",
    ]


def test_a_single_allowed_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_ALLOWED_ORIGINS", "https://app.example.test")
    assert load_settings().allowed_origins == ["https://app.example.test"]


def test_host_port_and_var_dir_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_HOST", "0.0.0.0")  # noqa: S104 - a value under test
    monkeypatch.setenv("AESCRM_PORT", "8443")
    monkeypatch.setenv("AESCRM_VAR_DIR", "/srv/aescrm/var")
    settings = load_settings()
    assert (settings.host, settings.port) == ("0.0.0.0", 8443)  # noqa: S104
    assert settings.var_dir == Path("/srv/aescrm/var")
    assert settings.dev_key_file == Path("/srv/aescrm/var/dev-keys.json")


@pytest.mark.parametrize("port", ["0", "65536", "eighty"])
def test_invalid_port_is_refused(monkeypatch: pytest.MonkeyPatch, port: str) -> None:
    monkeypatch.setenv("AESCRM_PORT", port)
    with pytest.raises(ValidationError, match="port"):
        load_settings()


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_ENV", "staging")
    with pytest.raises(ValidationError, match="env"):
        load_settings()


def test_surface_switches_parse_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_QUERIES_OVER_GET", "false")
    monkeypatch.setenv("AESCRM_LEGACY_GRAPHQL_WS", "true")
    monkeypatch.setenv("AESCRM_INTROSPECTION", "false")
    monkeypatch.setenv("AESCRM_GRAPHIQL", "false")
    settings = load_settings()
    assert not settings.get_queries_enabled
    assert settings.legacy_graphql_ws
    assert not settings.introspection_open
    assert not settings.graphiql_enabled


def test_settings_objects_ignore_unrelated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AESCRM_NOT_A_SETTING", "x")
    assert Settings().env is Environment.DEVELOPMENT


@pytest.mark.parametrize("role", ["PATIENT", "PARTNER", "DENTIST,PARTNER"])
def test_introspection_roles_never_name_patients_or_partners(
    monkeypatch: pytest.MonkeyPatch, role: str
) -> None:
    monkeypatch.setenv("AESCRM_INTROSPECTION_ROLES", role)
    with pytest.raises(ValidationError, match="never allowed"):
        load_settings()


def test_introspection_roles_default_to_staff_and_parse_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Role.PATIENT not in load_settings().introspection_roles
    assert Role.RECEPTIONIST in load_settings().introspection_roles
    monkeypatch.setenv("AESCRM_INTROSPECTION_ROLES", "practice_admin, DENTIST")
    assert load_settings().introspection_roles == [Role.PRACTICE_ADMIN, Role.DENTIST]


def test_production_surface_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    production_env(monkeypatch)
    settings = load_settings()
    assert not settings.get_queries_enabled
    assert not settings.introspection_open
    assert settings.forwarded_allow_ips == ""


def test_behind_pgbouncer_the_statement_cache_is_off() -> None:
    settings = Settings(
        database_url="postgres://app@10.0.0.5:6432/aescrm?ssl=true&statement_cache_size=100",
        database_pooler="pgbouncer",
        broadcast_url="postgres://app@10.0.0.5:5432/aescrm",  # PostgreSQL itself: allowed
    )
    assert settings.database_url == (
        "postgres://app@10.0.0.5:6432/aescrm?ssl=true&statement_cache_size=0"
    )
    plain = Settings(database_url="postgres://app@10.0.0.5:5432/aescrm")
    assert plain.database_url == "postgres://app@10.0.0.5:5432/aescrm"


@pytest.mark.parametrize(
    ("database_url", "broadcast_url", "message"),
    [
        ("sqlite://var/x.sqlite3", "memory://", "needs a PostgreSQL database"),
        ("postgres://app@pool:6432/aescrm", "postgres://app@pool:6432/aescrm", "LISTENs"),
        ("postgres://app@pool/aescrm", "postgresql://other@pool:5432/x", "LISTENs"),
    ],
)
def test_behind_pgbouncer_what_cannot_work_is_refused(
    database_url: str, broadcast_url: str, message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(
            database_url=database_url, database_pooler="pgbouncer", broadcast_url=broadcast_url
        )
