"""The live chart: two clinicians on one patient's chart see each other's entries at once,
over a real uvicorn server and real WebSocket clients; resume with `since`; none for the desk."""

from __future__ import annotations

import uuid
from types import SimpleNamespace
from typing import Any

import pytest

from db.models import AuditEvent
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.graph.test_perio import RECORD as RECORD_PERIO
from tests.graph.test_perio import full_mouth
from tests.graph.test_tooth_chart import RECORD, VOID
from tests.realtime.harness import Client, Server, graphql

CHART = """
subscription Chart($practiceId: ID!, $patientId: ID!, $since: Int) {
  clinicalChartChanged(practiceId: $practiceId, patientId: $patientId, since: $since) {
    kind sequence previousSequence patientId entryId code toothFdi surfaces status perioExamId
  }
}"""


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


def _subscribe(practice: Any, patient: Any, since: int | None = None) -> dict[str, Any]:
    practice = practice if hasattr(practice, "id") else SimpleNamespace(id=practice)
    patient = patient if hasattr(patient, "id") else SimpleNamespace(id=patient)
    variables = {"practiceId": str(practice.id), "patientId": str(patient.id), "since": since}
    return {"id": "chart", "type": "subscribe", "payload": {"query": CHART, "variables": variables}}


async def _record(server: Server, token: str, patient: Any, **values: str) -> dict[str, Any]:
    result = await graphql(
        server, RECORD, {"input": {"patientId": str(patient.id), **values}}, token
    )
    assert "errors" not in result, result
    entry: dict[str, Any] = result["data"]["recordChartEntry"]["entry"]
    return entry


async def test_two_clinicians_see_each_others_chart_entries_at_once_and_resume(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient, other = await factories.patient(practice), await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    nurse = factories.access_token(await factories.user(Role.HYGIENIST, practice))

    async with Client.connect(server, dentist) as chairside, Client.connect(server, nurse) as pc:
        await chairside.send(_subscribe(practice, patient))
        await pc.send(_subscribe(practice, patient))
        await _record(
            server,
            nurse,
            other,
            kind="CONDITION",
            code="CARIES",
            tooth="46",
            surfaces="O",
            status="EXISTING",
        )  # another patient: not on this chart
        caries = await _record(
            server,
            nurse,
            patient,
            kind="CONDITION",
            code="CARIES",
            tooth="36",
            surfaces="DO",
            status="EXISTING",
        )
        seen = [
            (await c.recv(wait=8))["payload"]["data"]["clinicalChartChanged"]
            for c in (chairside, pc)
        ]
        assert seen[0] == seen[1]
        first = seen[0]
        assert first["kind"] == "ENTRY_RECORDED"
        assert (first["entryId"], first["code"], first["toothFdi"], first["surfaces"]) == (
            caries["id"],
            "CARIES",
            36,
            "OD",
        )
        voided = await graphql(
            server, VOID, {"input": {"entryId": caries["id"], "reason": "Wrong tooth"}}, dentist
        )
        assert "errors" not in voided, voided
        second = (await pc.recv(wait=8))["payload"]["data"]["clinicalChartChanged"]
        assert (second["kind"], second["status"]) == ("ENTRY_VOIDED", "ENTERED_IN_ERROR")
        assert second["previousSequence"] == first["sequence"]
        assert (await chairside.recv(wait=8))["payload"]["data"]["clinicalChartChanged"] == second

    # Reconnecting with `since` replays what was missed, in order, and nothing before it.
    await _record(
        server, dentist, patient, kind="CONDITION", code="MISSING", tooth="18", status="EXISTING"
    )
    async with Client.connect(server, nurse) as back:
        await back.send(_subscribe(practice, patient, since=first["sequence"]))
        replayed = [
            (await back.recv(wait=8))["payload"]["data"]["clinicalChartChanged"] for _ in range(2)
        ]
    assert [e["kind"] for e in replayed] == ["ENTRY_VOIDED", "ENTRY_RECORDED"]
    assert replayed[1]["toothFdi"] == 18
    assert await AuditEvent.filter(entity_type="ChartEntry", action__startswith="READ").exists()


async def test_the_desk_and_other_practices_get_no_live_chart(server: Server, data: None) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    stranger = factories.access_token(
        await factories.user(Role.DENTIST, await factories.practice())
    )
    answers = []
    for token, where, whom in (
        (desk, practice, patient),
        (stranger, practice, patient),
        (stranger, uuid.uuid4(), uuid.uuid4()),  # what an unknown practice and patient get
    ):
        async with Client.connect(server, token) as client:
            await client.send(_subscribe(where, whom))
            message = await client.recv(wait=8)
        assert message["type"] == "error", message
        answers.append(message["payload"])
    assert answers[0][0]["extensions"]["code"] == "FORBIDDEN"  # the desk holds no clinical scope
    assert answers[1] == answers[2]  # another practice's patient is refused like an unknown one
    assert answers[1][0]["extensions"]["code"] == "NOT_FOUND"


async def test_a_perio_exam_charted_by_the_nurse_reaches_the_dentist_at_once(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    nurse = factories.access_token(await factories.user(Role.HYGIENIST, practice))
    async with Client.connect(server, dentist) as watching:
        await watching.send(_subscribe(practice, patient))
        saved = await graphql(
            server,
            RECORD_PERIO,
            {"input": {"patientId": str(patient.id), "teeth": full_mouth()}},
            nurse,
        )
        assert "errors" not in saved, saved
        event = (await watching.recv(wait=8))["payload"]["data"]["clinicalChartChanged"]
    assert event["kind"] == "PERIO_EXAM_SAVED"
    assert event["perioExamId"] == saved["data"]["recordPerioExam"]["exam"]["id"]
    assert event["entryId"] is None
