"""A payment reaches a watching reception desk at once, over a real WebSocket: the patient's
``accountChanged`` with the new balance, and the practice's ``billingChanged``; an invoice
event (topic billing, INVOICE_*) is delivered too; another patient's change is filtered out and
a patient who may not see the account gets nothing; a partner app with billing:read hears only
of patients sharing data with it, and nothing about one after their withdrawal."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any
from uuid import uuid4

import httpx
import pytest

from db.models import AuditEvent
from db.outbox import PendingEvent
from db.uow import unit_of_work
from services.policy import Role
from tests import factories
from tests.graph.billing_support import PAYMENT_FIELDS, gbp, issued_invoice
from tests.graph.test_billing_reports import RECONCILE
from tests.graph.visibility_world import partner_token, share_data
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


def _subscribe(op: str, query: str, **variables: object) -> dict[str, object]:
    values = {k: str(v) for k, v in variables.items()}
    return {"id": op, "type": "subscribe", "payload": {"query": query, "variables": values}}


async def test_a_partner_hears_of_sharing_patients_only_and_not_after_a_withdrawal(
    server: Server, data: None
) -> None:
    """A partner app with billing:read watches a sharing patient's account and the practice's
    billing: it hears of that patient only (never of the silent one, never a cash count), and
    once the patient withdraws, the very next event about them is not delivered."""
    practice = await factories.practice()
    sharing, silent = await factories.patient(practice), await factories.patient(practice)
    for patient in (sharing, silent):
        await issued_invoice(practice, patient, 10000)
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        partner, bearer = await partner_token(http, practice.id, practice.organization_id)

    async def staff(query: str, values: dict[str, Any], token: str) -> Any:
        return await graphql(server, query, values, token)

    async def pay(patient: object, amount: int) -> None:
        values = {"patientId": str(patient), "amount": gbp(amount), "method": "CASH"}
        paid = await graphql(server, TAKE, {"input": values}, desk)
        assert "errors" not in paid, paid

    await share_data(staff, admin, sharing.id, partner.client_id)
    pid = practice.id
    async with Client.connect(server, bearer) as app, Client.connect(server, desk) as board:
        await app.send(_subscribe("a", ACCOUNT_LIVE, practiceId=pid, patientId=sharing.id))
        await app.send(_subscribe("b", BILLING_LIVE, practiceId=pid))
        await board.send(_subscribe("d", BILLING_LIVE, practiceId=pid))
        # The silent patient's account answers exactly like a random patient's.
        await app.send(_subscribe("s", ACCOUNT_LIVE, practiceId=pid, patientId=silent.id))
        await app.send(_subscribe("r", ACCOUNT_LIVE, practiceId=pid, patientId=uuid4()))
        refused = {m["id"]: m for m in [await app.recv(wait=8), await app.recv(wait=8)]}
        assert refused["s"]["type"] == "error", refused
        assert refused["s"]["payload"] == refused["r"]["payload"]
        await asyncio.sleep(0.5)  # the board's subscription registered too

        await pay(silent.id, 100)
        await pay(sharing.id, 6000)
        heard = {m["id"]: m["payload"]["data"] for m in [await app.recv(8), await app.recv(8)]}
        assert heard["a"]["accountChanged"]["patientId"] == str(sharing.id)
        assert heard["a"]["accountChanged"]["balance"]["amount"] == 4000
        assert heard["b"]["billingChanged"]["patientId"] == str(sharing.id)
        counted = {"practiceId": str(pid), "day": date.today().isoformat(), "counted": gbp(1)}
        reconciled = await graphql(server, RECONCILE, {"input": counted}, desk)
        assert "errors" not in reconciled, reconciled

        await share_data(staff, admin, sharing.id, partner.client_id, granted=False)
        await pay(sharing.id, 100)  # after the withdrawal: not for the partner app
        await share_data(staff, admin, silent.id, partner.client_id)
        await pay(silent.id, 200)  # the silent patient now shares: the next thing it hears
        following = await app.recv(wait=8)
        assert following["id"] == "b", following
        assert following["payload"]["data"]["billingChanged"]["patientId"] == str(silent.id)
        with pytest.raises(TimeoutError):
            await app.recv(wait=0.5)
        desk_saw = [(await board.recv(wait=8))["payload"]["data"] for _ in range(5)]
    assert [(e["billingChanged"]["type"], e["billingChanged"]["patientId"]) for e in desk_saw] == [
        ("PAYMENT_TAKEN", str(silent.id)),
        ("PAYMENT_TAKEN", str(sharing.id)),
        ("CASH_RECONCILED", None),
        ("PAYMENT_TAKEN", str(sharing.id)),
        ("PAYMENT_TAKEN", str(silent.id)),
    ]  # the control: every event happened
    for _ in range(50):  # live reads are written in the background: seconds at most
        seen = await AuditEvent.filter(client_id=partner.client_id, patient_id=sharing.id)
        if {"READ subscription accountChanged", "READ subscription billingChanged"} <= {
            r.action for r in seen
        }:
            break
        await asyncio.sleep(0.1)
    else:
        raise AssertionError(f"the partner's live account reads are not audited: {seen}")
