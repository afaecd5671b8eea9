"""The real ``aescrm`` console script, run as a subprocess against a temporary SQLite database."""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from db.crypto import generate_key_material
from graph.app import create_app
from graph.settings import Settings
from services import demo
from services.policy import Role

ROOT = Path(__file__).resolve().parent.parent
AESCRM = Path(sys.executable).parent / "aescrm"
PRACTICES_QUERY = "{ practices { id name timezone } organizations { name } }"


@dataclass(frozen=True)
class Workspace:
    database_url: str
    var_dir: Path
    env: dict[str, str]
    users: list[dict[str, Any]]


def run(
    *args: str, env: dict[str, str], check: bool = True, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(  # noqa: S603 - our own console script, fixed arguments
        [str(AESCRM), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if check:
        assert result.returncode == 0, f"aescrm {' '.join(args)} failed:\n{result.stderr}"
    return result


def clean_env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env.update(values)
    return env


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    """One migrated and seeded database for the module (seeding 200 patients takes a while)."""
    root = tmp_path_factory.mktemp("cli")
    url = f"sqlite://{root / 'cli.sqlite3'}"
    env = clean_env(AESCRM_DATABASE_URL=url, AESCRM_VAR_DIR=str(root / "var"))
    assert run("migrate", env=env).stdout.strip().endswith("migrations applied")
    first = run("seed-demo", env=env, timeout=300)
    assert first.stdout.strip() == "demo data loaded"  # progress goes to stderr, not stdout
    assert "loading demo data" in first.stderr
    steps = demo.progress_steps()
    assert f"{steps}/{steps}" in first.stderr
    users = json.loads(run("demo-users", "--json", env=env).stdout)
    return Workspace(url, root / "var", env, users)


def test_migrate_is_idempotent(workspace: Workspace) -> None:
    assert run("migrate", env=workspace.env).returncode == 0


def test_seed_demo_second_run_changes_nothing(workspace: Workspace) -> None:
    second = run("seed-demo", env=workspace.env)
    assert second.stdout.strip() == "demo data already present"
    assert json.loads(run("demo-users", "--json", env=workspace.env).stdout) == workspace.users


def test_demo_users_json_lists_every_role(workspace: Workspace) -> None:
    users = workspace.users
    assert isinstance(users, list)
    assert users
    for user in users:
        assert {"email", "role", "practice_id", "organization_id"} <= set(user)
        assert "@" in user["email"]
        assert user["role"] in {role.value for role in Role}
    seeded = {user["role"] for user in users}
    # Partners are OAuth clients, not user accounts, so they are not demo users.
    assert seeded >= {role.value for role in Role if role is not Role.PARTNER}
    staff = [u for u in users if u["role"] in ("DENTIST", "RECEPTIONIST", "PRACTICE_ADMIN")]
    assert all(u["practice_id"] for u in staff)
    admins = [u for u in users if u["role"] == "ORG_ADMIN"]
    assert all(u["organization_id"] for u in admins)


def test_demo_users_text_mentions_the_password(workspace: Workspace) -> None:
    assert "password for every demo account" in run("demo-users", env=workspace.env).stdout


async def test_dev_token_authenticates_a_query(workspace: Workspace) -> None:
    receptionist = next(u for u in workspace.users if u["role"] == "RECEPTIONIST")
    token = run("dev-token", str(receptionist["email"]), env=workspace.env).stdout.strip()
    assert token.count(".") == 2  # a compact JWS

    settings = Settings(
        database_url=workspace.database_url,
        var_dir=workspace.var_dir,
        rate_limit_per_minute=100_000,
        jobs_in_process=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            response = await http.post(
                "/graphql",
                json={"query": PRACTICES_QUERY},
                headers={"authorization": f"Bearer {token}"},
            )
            anonymous = await http.post("/graphql", json={"query": PRACTICES_QUERY})
    body = response.json()
    assert body.get("errors") is None
    assert [p["id"] for p in body["data"]["practices"]] == [receptionist["practice_id"]]
    assert body["data"]["organizations"]
    assert anonymous.json()["data"]["practices"] is None  # the token is what made it work


def test_dev_token_for_an_unknown_email_fails(workspace: Workspace) -> None:
    result = run("dev-token", "nobody@example.test", env=workspace.env, check=False)
    assert result.returncode != 0


def test_check_passes(workspace: Workspace) -> None:
    result = run("check", env=workspace.env)
    lines = result.stdout.split("\n")
    assert any(line.split() == ["database", "ok"] for line in lines)


def test_check_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    env = clean_env(
        AESCRM_DATABASE_URL="postgres://nobody@127.0.0.1:9/none",  # discard port: refused
        AESCRM_VAR_DIR=str(tmp_path / "var"),
    )
    result = run("check", env=env, check=False)
    assert result.returncode == 1
    assert "FAILED" in result.stdout


def test_export_schema_matches_the_checked_in_file(workspace: Workspace, tmp_path: Path) -> None:
    written = tmp_path / "schema.graphql"
    run("export-schema", "--output", str(written), env=workspace.env)
    assert written.read_text() == (ROOT / "schema.graphql").read_text(), (
        "schema.graphql is stale: run `make schema`"
    )


def production_env(tmp_path: Path) -> dict[str, str]:
    return clean_env(
        AESCRM_ENV="production",
        AESCRM_DATABASE_URL="postgres://aescrm@127.0.0.1:9/never-contacted",
        AESCRM_SECRET_KEY="s" * 40,
        AESCRM_JWT_KEYS="k1:" + "j" * 40,
        AESCRM_VAR_DIR=str(tmp_path / "var"),
        **generate_key_material(),
    )


def test_dev_token_is_refused_in_production(tmp_path: Path) -> None:
    result = run("dev-token", "admin@demo.aescrm.test", env=production_env(tmp_path), check=False)
    assert result.returncode == 2
    assert "dev-token is disabled in production" in result.stderr
    assert result.stdout == ""


def test_seed_demo_is_refused_in_production(tmp_path: Path) -> None:
    result = run("seed-demo", env=production_env(tmp_path), check=False)
    assert result.returncode == 2
    assert "refusing to load demo data in production" in result.stderr


def test_production_with_development_defaults_refuses_to_run(tmp_path: Path) -> None:
    env = clean_env(AESCRM_ENV="production", AESCRM_VAR_DIR=str(tmp_path / "var"))
    result = run("migrate", env=env, check=False)
    assert result.returncode == 2
    assert "refusing to start in production" in result.stderr
    assert "AESCRM_SECRET_KEY" in result.stderr
    assert "AESCRM_DATABASE_URL must point at PostgreSQL" in result.stderr


async def test_demo_patients_have_signed_clinical_notes(workspace: Workspace) -> None:
    portal = next(u for u in workspace.users if u["role"] == "PATIENT")
    dentist = next(
        u
        for u in workspace.users
        if u["role"] == "DENTIST" and u["practice_id"] == portal["practice_id"]
    )
    tokens = {
        u["role"]: run("dev-token", str(u["email"]), env=workspace.env).stdout.strip()
        for u in (portal, dentist)
    }
    settings = Settings(
        database_url=workspace.database_url,
        var_dir=workspace.var_dir,
        rate_limit_per_minute=100_000,
        jobs_in_process=False,
    )
    search = """query S($p: ID!, $s: String) { patients(practiceId: $p, search: $s) {
      edges { node { id firstName lastName } } } }"""
    notes = """query N($id: ID!) { clinicalNotes(patientId: $id) {
      edges { node { status contentHash text fields { key value } amendments { reason } } } } }"""
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 5000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            found = await http.post(
                "/graphql",
                json={
                    "query": search,
                    "variables": {"p": portal["practice_id"], "s": portal["name"]},
                },
                headers={"authorization": f"Bearer {tokens['DENTIST']}"},
            )
            nodes = [e["node"] for e in found.json()["data"]["patients"]["edges"]]
            mine = next(n for n in nodes if f"{n['firstName']} {n['lastName']}" == portal["name"])
            listed = await http.post(
                "/graphql",
                json={"query": notes, "variables": {"id": mine["id"]}},
                headers={"authorization": f"Bearer {tokens['PATIENT']}"},
            )
    body = listed.json()
    assert body.get("errors") is None
    shown = [e["node"] for e in body["data"]["clinicalNotes"]["edges"]]
    assert shown
    assert all(n["status"] == "SIGNED" and n["contentHash"] for n in shown)
    assert [f["key"] for f in shown[0]["fields"]] == ["complaint", "findings", "plan"]
    assert shown[0]["amendments"] == [{"reason": "Telephone follow-up"}]


def test_demo_practices_keep_their_messages_and_have_some_queued(workspace: Workspace) -> None:
    """``make run`` shows messages: the development channel is on and visits have messages."""

    path = workspace.database_url.removeprefix("sqlite://")
    with contextlib.closing(sqlite3.connect(path)) as db:
        settings = db.execute("SELECT development_channel FROM message_settings").fetchall()
        purposes = {row[0] for row in db.execute("SELECT purpose FROM message").fetchall()}
        jobs = db.execute("SELECT COUNT(*) FROM job WHERE kind = 'messages.send'").fetchone()[0]
    assert settings
    assert all(on for (on,) in settings)
    assert "APPOINTMENT_CONFIRMATION" in purposes
    assert jobs >= 1
