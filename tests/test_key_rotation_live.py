"""Key rotation against a real server process and the real CLI, as an operator runs it."""

from __future__ import annotations

import asyncio
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from db.models import Patient
from services.patients import sealing
from services.policy import Role
from tests import factories
from tests.realtime.harness import SECRET, Server, graphql, orm, server_env
from tests.test_cli import AESCRM, ROOT, run

UPDATE = """
mutation($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields }
}"""
EMAILS = """
query($p: ID!, $after: String) {
  patients(practiceId: $p, first: 100, after: $after) {
    edges { node { id email mobilePhone } } pageInfo { hasNextPage endCursor }
  }
}"""


def cli_env(database_url: str, var_dir: Path) -> dict[str, str]:
    return server_env(database_url, var_dir)


async def seed(count: int) -> tuple[str, str, list[str]]:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    ids = []
    for n in range(count):
        patient = await factories.patient(practice, last_name=f"Rot{n}")
        patient.email = sealing.seal(patient, "email", f"rot{n}@example.test")
        patient.mobile_phone = sealing.seal(patient, "mobile_phone", f"07700 9{n:05d}")
        await patient.save(update_fields=["email", "mobile_phone"])
        ids.append(str(patient.id))
    return str(practice.id), factories.access_token(admin), ids


async def read_all(server: Server, token: str, practice_id: str) -> list[dict[str, Any]]:
    errors: list[dict[str, Any]] = []
    after = None
    while True:
        body = await graphql(server, EMAILS, {"p": practice_id, "after": after}, token)
        errors += body.get("errors", [])
        page = body["data"]["patients"]
        if not page["pageInfo"]["hasNextPage"]:
            return errors
        after = page["pageInfo"]["endCursor"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_updates_during_a_rotation_on_sqlite_never_fail(
    database_url: str, tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    async with orm(database_url, var_dir):
        practice_id, token, ids = await seed(300)
    env = cli_env(database_url, var_dir)
    server = Server(server_env(database_url, var_dir)).start()
    try:
        run("rotate-keys", "--add-key", env=env)
        server.stop()
        server = Server(server_env(database_url, var_dir)).start()
        rotation = subprocess.Popen(  # noqa: S603 - our own console script
            [str(AESCRM), "rotate-keys", "--batch-size", "10"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        results: list[Any] = []
        overlapping = 0
        round_ = 0
        while rotation.poll() is None:
            overlapping += 1
            round_ += 1
            results += await asyncio.gather(
                *(
                    graphql(
                        server,
                        UPDATE,
                        {
                            "id": ids[(round_ * 40 + n) % len(ids)],
                            "input": {"preferredName": f"P{round_}-{n}"},
                        },
                        token,
                    )
                    for n in range(40)
                )
            )
        out, err = rotation.communicate()
        print(out, err[-3000:])
        failed = [r for r in results if "errors" in r]
        print(len(results), overlapping, failed[:3])
        assert failed == []
    finally:
        server.stop()
