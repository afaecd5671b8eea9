"""Key rotation against a real server process and the real CLI, as an operator runs it.

The server is never restarted: it learns the new key from the key store on its own, before
anything is written with it, and keeps answering every request during the re-encryption.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from db.models import Patient
from services.names import search_key
from services.patients import sealing
from services.policy import Role
from tests import factories
from tests.realtime.harness import Server, graphql, orm, server_env
from tests.test_cli import AESCRM, ROOT, run

UPDATE = """
mutation($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields }
}"""
CONTACTS = """
query($p: ID!, $after: String) {
  patients(practiceId: $p, first: 100, after: $after) {
    edges { node { id email mobilePhone } } pageInfo { hasNextPage endCursor }
  }
}"""


async def seed(count: int) -> tuple[str, str, list[str]]:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    template = await factories.patient(practice, last_name="Template")
    rows = []
    for n in range(count):
        patient = Patient(
            id=uuid4(),
            practice_id=practice.id,
            patient_number=n + 2,
            first_name="Rota",
            last_name=f"Rot{n}",
            search_name=search_key("Rota", f"Rot{n}", None),
            date_of_birth=template.date_of_birth,
            last_activity_at=template.last_activity_at,
        )
        patient.email = sealing.seal(patient, "email", f"rot{n}@example.test")
        patient.mobile_phone = sealing.seal(patient, "mobile_phone", f"07700 9{n:05d}")
        rows.append(patient)
    await Patient.bulk_create(rows, batch_size=500)
    return str(practice.id), factories.access_token(admin), [str(p.id) for p in rows]


async def read_contacts(server: Server, token: str, practice_id: str) -> tuple[int, list[Any]]:
    """Every patient's contact fields through the server: (patients read, errors)."""
    errors: list[Any] = []
    seen, after = 0, None
    while True:
        body = await graphql(server, CONTACTS, {"p": practice_id, "after": after}, token)
        errors += body.get("errors", [])
        page = body["data"]["patients"]
        seen += sum(1 for edge in page["edges"] if edge["node"]["email"])
        if not page["pageInfo"]["hasNextPage"]:
            return seen, errors
        after = page["pageInfo"]["endCursor"]


async def stored_key(database_url: str, var_dir: Path, patient_id: str) -> str:
    async with orm(database_url, var_dir):
        patient = await Patient.get(id=patient_id)
    assert patient.email is not None
    return patient.email.split(".")[1]


async def set_email(server: Server, token: str, patient_id: str, email: str) -> None:
    body = await graphql(server, UPDATE, {"id": patient_id, "input": {"email": email}}, token)
    assert "errors" not in body, body


async def test_a_running_server_learns_a_new_key_before_anything_is_written_with_it(
    database_url: str, tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    async with orm(database_url, var_dir):
        practice_id, token, ids = await seed(200)
    env = server_env(database_url, var_dir, AESCRM_KEY_RELOAD_SECONDS="0.2")
    old_key = await stored_key(database_url, var_dir, ids[0])
    server = Server(env).start()
    try:
        added = run("rotate-keys", "--add-key", env=env)
        match = re.search(r"added key (\w+)", added.stdout)
        assert match is not None, added.stdout
        new_key = match.group(1)
        # Known, not current: the server still writes with the old key.
        await set_email(server, token, ids[0], "after.add@example.test")
        assert await stored_key(database_url, var_dir, ids[0]) == old_key

        run("rotate-keys", "--promote", new_key, env=env)
        await set_email(server, token, ids[1], "after.promote@example.test")
        assert await stored_key(database_url, var_dir, ids[1]) == new_key  # no restart
        rotated = run("rotate-keys", env=env)
        assert f"now under key {new_key}" in rotated.stdout

        seen, errors = await read_contacts(server, token, practice_id)
        assert errors == []
        assert seen == len(ids)
        assert run("rotate-keys", "--check", env=env).stdout.strip() == "rows under older keys: 0"
    finally:
        server.stop()


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_updates_during_a_rotation_on_sqlite_never_fail(
    database_url: str, tmp_path: Path
) -> None:
    var_dir = tmp_path / "var"
    async with orm(database_url, var_dir):
        _, token, ids = await seed(2000)
    env = server_env(database_url, var_dir, AESCRM_KEY_RELOAD_SECONDS="0.2")
    server = Server(env).start()
    try:
        added = run("rotate-keys", "--add-key", env=env)
        match = re.search(r"added key (\w+)", added.stdout)
        assert match is not None, added.stdout
        run("rotate-keys", "--promote", match.group(1), env=env)
        rotation = await asyncio.create_subprocess_exec(
            str(AESCRM),
            "rotate-keys",
            "--batch-size",
            "5",
            env=env,
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert rotation.stdout is not None
        first = await rotation.stdout.readline()  # a batch is done: the rotation is under way
        assert b"re-encrypted" in first, first
        results: list[Any] = []
        rounds = 0
        while rotation.returncode is None:  # set by asyncio when the process exits
            rounds += 1
            results += await asyncio.gather(
                *(
                    graphql(
                        server,
                        UPDATE,
                        {"id": ids[(rounds * 40 + n) % len(ids)], "input": {"preferredName": "P"}},
                        token,
                    )
                    for n in range(40)
                )
            )
        out, err = await rotation.communicate()
        assert rotation.returncode == 0, err
        assert f"2001 rows now under key {match.group(1)}" in out.decode()
        print(f"{rounds} rounds of 40 updates during the rotation")
        assert rounds >= 1
        assert [r["errors"] for r in results if "errors" in r] == []
    finally:
        server.stop()
