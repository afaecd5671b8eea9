"""CLI commands for accounts, partner clients and audit integrity, run as real subprocesses."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from db.config import apply_migrations
from tests.databases import run_isolated
from tests.test_cli import clean_env, run


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("cli-identity")
    url = f"sqlite://{root / 'db.sqlite3'}"
    run_isolated(apply_migrations(url))
    env = clean_env(AESCRM_DATABASE_URL=url, AESCRM_VAR_DIR=str(root / "var"))
    run("seed-demo", env=env)
    return env


def _database(env: dict[str, str]) -> Path:
    return Path(env["AESCRM_DATABASE_URL"].removeprefix("sqlite://"))


def test_create_user_and_partner_client(env: dict[str, str]) -> None:
    practice_id, organization_id = (
        sqlite3.connect(_database(env))
        .execute("SELECT id, organization_id FROM practice ORDER BY name LIMIT 1")
        .fetchone()
    )
    created = run(
        "create-user",
        "new.dentist@example.test",
        "--name",
        "New Dentist",
        "--role",
        "dentist",
        "--practice",
        str(practice_id),
        env={**env, "AESCRM_NEW_PASSWORD": "a long enough password"},
    )
    assert "created user" in created.stdout
    duplicate = run(
        "create-user",
        "NEW.dentist@example.test",
        "--name",
        "Again",
        "--role",
        "DENTIST",
        "--practice",
        str(practice_id),
        env={**env, "AESCRM_NEW_PASSWORD": "a long enough password"},
        check=False,
    )
    assert duplicate.returncode == 2
    assert "already exists" in duplicate.stderr
    short = run(
        "create-user",
        "x@example.test",
        "--name",
        "X",
        "--role",
        "DENTIST",
        "--practice",
        str(practice_id),
        env={**env, "AESCRM_NEW_PASSWORD": "short"},
        check=False,
    )
    assert short.returncode == 2
    assert "at least 12" in short.stderr

    client = run(
        "create-client",
        "--organization",
        str(organization_id),
        "--name",
        "Recalls",
        "--scope",
        "schedule:read",
        "--practice",
        str(practice_id),
        env=env,
    )
    issued = json.loads(client.stdout)
    assert issued["client_id"].startswith("pc_")
    assert len(issued["client_secret"]) >= 32
    stored = (
        sqlite3.connect(_database(env))
        .execute(
            "SELECT secret_hash FROM partner_client WHERE client_id = ?", (issued["client_id"],)
        )
        .fetchone()[0]
    )
    assert issued["client_secret"] not in stored  # only the argon2 hash is kept
    escalate = run(
        "create-client",
        "--organization",
        str(organization_id),
        "--name",
        "Greedy",
        "--scope",
        "staff:admin",
        "--practice",
        str(practice_id),
        env=env,
        check=False,
    )
    assert escalate.returncode == 2
    assert "not grantable" in escalate.stderr


def test_verify_audit_and_checkpoint_detect_tampering(env: dict[str, str], tmp_path: Path) -> None:
    practice_id = (
        sqlite3.connect(_database(env))
        .execute("SELECT id FROM practice ORDER BY name LIMIT 1")
        .fetchone()[0]
    )
    connection = sqlite3.connect(_database(env))
    run(  # an audited change through the real service path
        "create-user",
        "audited@example.test",
        "--name",
        "A",
        "--role",
        "HYGIENIST",
        "--practice",
        str(practice_id),
        env={**env, "AESCRM_NEW_PASSWORD": "a long enough password"},
    )
    checkpoint = tmp_path / "checkpoint.json"
    run("audit-checkpoint", "--output", str(checkpoint), env=env)
    ok = run("verify-audit", "--checkpoint", str(checkpoint), env=env)
    assert "BROKEN" not in ok.stdout
    connection.execute("UPDATE audit_event SET action = 'forged' WHERE seq = 1")
    connection.commit()
    broken = run("verify-audit", "--checkpoint", str(checkpoint), env=env, check=False)
    assert broken.returncode == 1
    assert "BROKEN at seq 1" in broken.stdout
