"""A consent withdrawal reaches a live subscriber at once, over a real WebSocket."""

from __future__ import annotations

import pytest

from services.policy import Role
from tests import factories
from tests.graph.test_consent_api import RECORD, WITHDRAW
from tests.realtime.harness import Client, Server, graphql

CONSENTS = """
subscription Consents($practiceId: ID!, $patientId: ID!) {
  consentChanged(practiceId: $practiceId, patientId: $patientId) {
    kind sequence patientId purpose
  }
}"""


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


def marketing(patient_id: object) -> dict[str, object]:
    return {
        "patientId": str(patient_id),
        "purpose": "MARKETING_SMS",
        "policyVersion": "mkt-v3",
        "method": "RECEPTION",
    }


async def test_withdrawal_is_pushed_to_a_watching_desk(server: Server, data: None) -> None:
    practice = await factories.practice()
    patient, other = await factories.patient(practice), await factories.patient(practice)
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    colleague = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    granted = await graphql(server, RECORD, {"input": marketing(patient.id)}, colleague)
    assert "errors" not in granted, granted

    async with Client.connect(server, desk) as watcher:
        await watcher.send(
            {
                "id": "consents",
                "type": "subscribe",
                "payload": {
                    "query": CONSENTS,
                    "variables": {"practiceId": str(practice.id), "patientId": str(patient.id)},
                },
            }
        )
        # Another patient's change is not for this subscription.
        await graphql(server, RECORD, {"input": marketing(other.id)}, colleague)
        withdrawn = await graphql(server, WITHDRAW, {"input": marketing(patient.id)}, colleague)
        assert "errors" not in withdrawn, withdrawn
        message = await watcher.recv(wait=8)
    assert message["type"] == "next", message
    event = message["payload"]["data"]["consentChanged"]
    assert event["kind"] == "WITHDRAWN"
    assert event["patientId"] == str(patient.id)
    assert event["purpose"] == "MARKETING_SMS"
    # The other patient's grant came first on the practice feed and was filtered out.
    assert event["sequence"] >= 2
