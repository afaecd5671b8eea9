"""Reads of patient data are audited once per request, in one batch, with field names only."""

from __future__ import annotations

import httpx
import pytest

from db.models import AuditEvent
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.sql_counter import count_statements

PAGE = """
query Page($practiceId: ID!, $first: Int!) {
  patients(practiceId: $practiceId, first: $first) {
    edges { node { id firstName lastName dateOfBirth hasMedicalAlert } }
  }
}"""


async def _page(client: httpx.AsyncClient, token: str, practice_id: str, first: int):
    return await gql(client, PAGE, {"practiceId": practice_id, "first": first}, token=token)


async def test_each_patient_read_is_audited_with_field_names_only(
    client: httpx.AsyncClient,
) -> None:
    practice = await factories.practice()
    patients = [await factories.patient(practice, first_name="Zoë") for _ in range(3)]
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    result = await _page(client, factories.access_token(receptionist), str(practice.id), 10)
    assert result.errors == []
    rows = await AuditEvent.filter(actor_user_id=receptionist.id, action__startswith="READ")
    assert {r.patient_id for r in rows} == {p.id for p in patients}
    assert len({r.request_id for r in rows}) == 1
    for row in rows:
        assert row.action == "READ query Page"
        assert "hasMedicalAlert" in row.fields_read or "has_medical_alert" in str(row.fields_read)
        assert "Zoë" not in str(row.fields_read)
        assert "Zoë" not in (row.entity_id or "")


@pytest.mark.parametrize("backend", ["sqlite", "postgres"], indirect=True)
async def test_statement_count_does_not_grow_with_the_page(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    practice = await factories.practice()
    for _ in range(30):
        await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    token = factories.access_token(receptionist)
    await _page(client, token, str(practice.id), 1)  # warm caches
    counts = {}
    for first in (3, 30):
        with count_statements(monkeypatch) as statements:
            assert (await _page(client, token, str(practice.id), first)).errors == []
        counts[first] = statements
    assert len(counts[3]) == len(counts[30]), (counts[3], counts[30])
    # The whole audit batch is one INSERT into audit_event, however many patients were read.
    assert len(counts[30].matching('INSERT INTO "audit_event"')) == 1


async def test_access_log_answers_who_looked_at_a_record(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    look = "query Look($id: ID!) { patient(id: $id) { lastName } }"
    await gql(client, look, {"id": str(patient.id)}, token=factories.access_token(receptionist))
    log = await gql(
        client,
        "query($id: ID!) { patient(id: $id) { accessLog(first: 10) { edges { node {"
        " actorUserId actorRole action fields } } } } }",
        {"id": str(patient.id)},
        token=factories.access_token(admin),
    )
    assert log.errors == []
    entries = [e["node"] for e in log.data["patient"]["accessLog"]["edges"]]
    assert entries[-1]["actorUserId"] == str(receptionist.id)
    assert entries[-1]["actorRole"] == "RECEPTIONIST"
    assert entries[-1]["action"] == "READ query Look"
    denied = await gql(
        client,
        "query($id: ID!) { patient(id: $id) { lastName accessLog { edges { cursor } } } }",
        {"id": str(patient.id)},
        token=factories.access_token(receptionist),
    )
    assert denied.codes == ["FORBIDDEN"]
    assert denied.data["patient"]["accessLog"] is None
    assert denied.data["patient"]["lastName"] == patient.last_name
