"""A database that stays locked is a clear, retryable answer, never an internal error."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
import pytest

from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.patient_support import create, staff

UPDATE = """
mutation Up($id: ID!, $input: UpdatePatientInput!) {
  updatePatient(id: $id, input: $input) { changedFields }
}
"""


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_a_write_lock_held_elsewhere_answers_service_unavailable(
    client: httpx.AsyncClient, database_url: str
) -> None:
    practice = await factories.practice()
    _, token = await staff(Role.RECEPTIONIST, practice)
    created = await create(client, token, practice)
    # Another process (a maintenance job, another server) holds the write lock for longer
    # than SQLite's busy timeout.
    other = sqlite3.connect(Path(database_url.removeprefix("sqlite://")), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    try:
        busy = await gql(
            client, UPDATE, {"id": created["id"], "input": {"preferredName": "Z"}}, token=token
        )
    finally:
        other.execute("ROLLBACK")
        other.close()

    assert busy.codes == ["SERVICE_UNAVAILABLE"]
    extensions = busy.errors[0]["extensions"]
    assert extensions["retryable"] is True
    assert extensions["retryAfterSeconds"] >= 1
    assert extensions["requestId"]
    again = await gql(
        client, UPDATE, {"id": created["id"], "input": {"preferredName": "Z"}}, token=token
    )
    assert again.errors == []
    assert again.data["updatePatient"]["changedFields"] == ["preferredName"]
