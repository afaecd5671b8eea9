"""A payment reaches a watching reception desk at once, over a real WebSocket: the patient's
``accountChanged`` with the new balance, and the practice's ``billingChanged``; an invoice
event (topic billing, INVOICE_*) is delivered too; another patient's change is filtered out and
a patient who may not see the account gets nothing."""

from __future__ import annotations

from uuid import uuid4

import pytest

from db.outbox import PendingEvent
from db.uow import unit_of_work
from services.policy import Role
from tests import factories
from tests.graph.billing_support import PAYMENT_FIELDS, gbp, issued_invoice
from tests.realtime.harness import Client, Server, graphql

ACCOUNT_LIVE = """
subscription A($practiceId: ID!, $patientId: ID!) {
  accountChanged(practiceId: $practiceId, patientId: $patientId) {
    type sequence patientId entityId balance { amount formatted }
  }
}"""
BILLING_LIVE = """
subscription B($practiceId: ID!) {
  billingChanged(practiceId: $practiceId) { type patientId entityId }
}"""
TAKE = (
    "mutation M($input: TakePaymentInput!) { takePayment(input: $input) "
    f"{{ payment {{ {PAYMENT_FIELDS} }} }} }}"
)


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def test_a_payment_is_pushed_to_the_desk_with_the_new_balance(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    patient, other = await factories.patient(practice), await factories.patient(practice)
    await issued_invoice(practice, patient, 10000)
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    colleague = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    watched = {"practiceId": str(practice.id), "patientId": str(patient.id)}

    async with (
        Client.connect(server, desk) as watcher,
        Client.connect(server, desk) as board,
    ):
        await watcher.send(
            {
                "id": "a",
                "type": "subscribe",
                "payload": {"query": ACCOUNT_LIVE, "variables": watched},
            }
        )
        await board.send(
            {
                "id": "b",
                "type": "subscribe",
                "payload": {"query": BILLING_LIVE, "variables": {"practiceId": str(practice.id)}},
            }
        )
        # Another patient's payment is not for the account subscription.
        elsewhere = await graphql(
            server,
            TAKE,
            {"input": {"patientId": str(other.id), "amount": gbp(100), "method": "CASH"}},
            colleague,
        )
        assert "errors" not in elsewhere, elsewhere
        paid = await graphql(
            server,
            TAKE,
            {"input": {"patientId": str(patient.id), "amount": gbp(6000), "method": "CASH"}},
            colleague,
        )
        assert "errors" not in paid, paid
        message = await watcher.recv(wait=8)
        assert message["type"] == "next", message
        event = message["payload"]["data"]["accountChanged"]
        assert event["type"] == "PAYMENT_TAKEN"
        assert event["patientId"] == str(patient.id)
        assert event["entityId"] == paid["data"]["takePayment"]["payment"]["id"]
        assert event["balance"] == {"amount": 4000, "formatted": "£40.00"}

        # The invoices work emits INVOICE_* on the same topic: the desk sees those too.
        async with unit_of_work() as uow:
            uow.emit(
                PendingEvent(
                    organization_id=practice.organization_id,  # type: ignore[arg-type]
                    practice_id=practice.id,  # type: ignore[arg-type]
                    topic="billing",
                    type="INVOICE_ISSUED",
                    entity_id=uuid4(),
                    patient_id=patient.id,  # type: ignore[arg-type]
                )
            )
        issued = (await watcher.recv(wait=8))["payload"]["data"]["accountChanged"]
        assert issued["type"] == "INVOICE_ISSUED"

        seen = [(await board.recv(wait=8))["payload"]["data"]["billingChanged"] for _ in range(3)]
        assert [(e["type"], e["patientId"]) for e in seen] == [
            ("PAYMENT_TAKEN", str(other.id)),
            ("PAYMENT_TAKEN", str(patient.id)),
            ("INVOICE_ISSUED", str(patient.id)),
        ]


async def test_who_may_watch_an_account(server: Server, data: None) -> None:
    practice = await factories.practice()
    patient, other = await factories.patient(practice), await factories.patient(practice)
    own = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    someone_else = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other.id)
    )
    colleague = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    watched = {"practiceId": str(practice.id), "patientId": str(patient.id)}
    async with Client.connect(server, someone_else) as stranger:
        await stranger.send(
            {
                "id": "x",
                "type": "subscribe",
                "payload": {"query": ACCOUNT_LIVE, "variables": watched},
            }
        )
        refused = await stranger.recv(wait=8)
        assert refused["type"] == "error", refused
    async with Client.connect(server, own) as portal:
        await portal.send(
            {
                "id": "p",
                "type": "subscribe",
                "payload": {"query": ACCOUNT_LIVE, "variables": watched},
            }
        )
        paid = await graphql(
            server,
            TAKE,
            {"input": {"patientId": str(patient.id), "amount": gbp(700), "method": "CASH"}},
            colleague,
        )
        assert "errors" not in paid, paid
        mine = (await portal.recv(wait=8))["payload"]["data"]["accountChanged"]
        assert (mine["type"], mine["balance"]["amount"]) == ("PAYMENT_TAKEN", -700)


async def test_another_practices_account_answers_like_an_unknown_one(
    server: Server, data: None
) -> None:
    practice, elsewhere = await factories.practice(), await factories.practice()
    foreign = await factories.patient(elsewhere)
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    answers = []
    for practice_id, patient_id in [
        (practice.id, foreign.id),
        (practice.id, uuid4()),
    ]:
        async with Client.connect(server, desk) as watcher:
            await watcher.send(
                {
                    "id": "a",
                    "type": "subscribe",
                    "payload": {
                        "query": ACCOUNT_LIVE,
                        "variables": {"practiceId": str(practice_id), "patientId": str(patient_id)},
                    },
                }
            )
            answers.append(await watcher.recv(wait=8))
    assert answers[0]["type"] == "error"
    assert answers[0] == answers[1]
    billing = []
    for practice_id in [elsewhere.id, uuid4()]:
        async with Client.connect(server, desk) as watcher:
            await watcher.send(
                {
                    "id": "b",
                    "type": "subscribe",
                    "payload": {
                        "query": BILLING_LIVE,
                        "variables": {"practiceId": str(practice_id)},
                    },
                }
            )
            billing.append(await watcher.recv(wait=8))
    assert billing[0]["type"] == "error"
    assert billing[0] == billing[1]
