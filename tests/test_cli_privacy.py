"""``aescrm legal-hold``, ``retention``, ``export-patient`` and ``rotate-keys`` as an operator
runs them: holds name who asked, why and until when; long jobs show progress on stderr while
stdout keeps the result."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from db.models import AuditEvent, LegalHold, Patient
from services.consent import export_format
from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate, run_isolated
from tests.realtime.harness import orm, server_env
from tests.test_cli import run

LONG_AGO = datetime(2000, 1, 10, tzinfo=UTC)


@pytest.fixture
def place(sqlite_template: SqliteTemplate, tmp_path: Path) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path / "var"


async def _seed(url: str, var_dir: Path) -> dict[str, Any]:
    async with orm(url, var_dir):
        practice = await factories.practice()
        old = await factories.patient(practice, last_activity_at=LONG_AGO)
        admin = await factories.user(Role.PRACTICE_ADMIN, practice)
        desk = await factories.user(Role.RECEPTIONIST, practice)
        return {
            "practice": str(practice.id),
            "patient": str(old.id),
            "admin": admin.email,
            "desk": desk.email,
        }


async def _state(url: str, var_dir: Path, patient_id: str) -> tuple[str, list[str]]:
    async with orm(url, var_dir):
        name = (await Patient.get(id=patient_id)).first_name
        actions = [
            row.action
            async for row in AuditEvent.filter(action__contains="legal hold").order_by("seq")
        ]
        assert await LegalHold.all().count() == 1
        return name, actions


async def test_an_operator_holds_then_releases_a_patient_and_retention_follows(
    place: tuple[str, Path],
) -> None:
    url, var_dir = place
    seeded = await _seed(url, var_dir)
    env = server_env(url, var_dir)
    common = ["--practice", seeded["practice"]]

    refused = run(
        "legal-hold", "place", "--by", seeded["desk"], *common, "--patient", seeded["patient"],
        "--reason", "Litigation", env=env, check=False,
    )  # fmt: skip
    assert refused.returncode == 2
    assert "permission" in refused.stderr
    placed = run(
        "legal-hold", "place", "--by", seeded["admin"], *common, "--patient", seeded["patient"],
        "--reason", "Claim 2026/114", "--until", "2099-12-31", env=env,
    )  # fmt: skip
    hold = json.loads(placed.stdout)
    assert (hold["reason"], hold["held_until"]) == ("Claim 2026/114", "2099-12-31")
    dry = run("retention", "--dry-run", env=env)
    assert f"held: patient {seeded['patient']} (legal hold)" in dry.stdout
    listed = run("legal-hold", "list", "--by", seeded["admin"], *common, env=env)
    assert [json.loads(line)["id"] for line in listed.stdout.splitlines()] == [hold["id"]]

    run("legal-hold", "lift", hold["id"], "--by", seeded["admin"], "--reason", "Settled", env=env)
    applied = run("retention", "--apply", env=env)

    assert "anonymised CLINICAL" in applied.stdout
    assert "retention: patients" in applied.stderr  # the progress bar, on stderr
    assert "1/1" in applied.stderr
    name, actions = await _state(url, var_dir, seeded["patient"])
    assert name == "Anonymised"
    assert actions == ["PLACE legal hold", "PLACE legal hold", "LIFT legal hold"]


async def test_export_patient_and_key_rotation_show_progress(
    place: tuple[str, Path], tmp_path: Path
) -> None:
    url, var_dir = place
    seeded = await _seed(url, var_dir)
    env = server_env(url, var_dir)
    target = tmp_path / "export.json"

    exported = run(
        "export-patient", seeded["patient"], "--by", seeded["admin"], "--output", str(target),
        env=env,
    )  # fmt: skip

    assert "export patient" in exported.stderr
    doc = json.loads(target.read_text(encoding="utf-8"))
    assert doc["patient_id"] == seeded["patient"]
    assert list(Draft202012Validator(run_isolated(_schema(url, var_dir))).iter_errors(doc)) == []
    run("rotate-keys", "--add-key", env=env)
    rotated = run("rotate-keys", env=env)
    assert "re-encrypted rows of" in rotated.stderr
    assert "done:" in rotated.stdout


async def _schema(url: str, var_dir: Path) -> dict[str, Any]:
    async with orm(url, var_dir):
        return export_format.json_schema()
