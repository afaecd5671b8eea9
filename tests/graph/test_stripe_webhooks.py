"""The Stripe processor end to end, on both backends, with no network beyond this machine.

The local Stripe and the signed deliveries are ``tests/graph/stripe_support.py``. Attacks
(../shared/SECURITY.md): a forged signature, a replay, a stale or future timestamp, an oversized
body; each is refused and recorded, and changes nothing. Out-of-order rules:
services/billing/stripe_webhooks.py (disputes closing: tests/graph/test_stripe_disputes.py).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import orjson

from db.models import (
    AuditEvent,
    DomainEvent,
    LedgerEntry,
    Payment,
    PaymentAllocation,
    WebhookDelivery,
)
from graph.settings import Environment, Settings
from services.billing import processor
from services.billing.money import Money
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql
from tests.graph import stripe_support
from tests.graph.stripe_support import CREATE, KEY, SECRET, FakeStripe
from tests.graph.stripe_support import charge as _charge
from tests.graph.stripe_support import event as _event
from tests.graph.stripe_support import intent as _intent
from tests.graph.stripe_support import invoice as _invoice
from tests.graph.stripe_support import post as _post
from tests.graph.stripe_support import signed as _signed
from tests.graph.stripe_support import started as _started
from tests.graph.stripe_support import state as _state
from tests.graph.stripe_support import world as _world

fake_stripe = stripe_support.fake_stripe
settings = stripe_support.settings

# --- the happy path -------------------------------------------------------------------------


async def test_intent_through_local_stripe_then_success_allocates(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 12_000)
    started = await _started(client, token, invoice)
    assert started["status"] == "PENDING"
    assert started["kind"] == "PAYMENT"
    assert started["amount"] == {"amount": 12_000, "currency": "GBP"}
    assert started["processor"] == "STRIPE"
    assert started["clientSecret"].startswith(started["processorReference"] + "_secret")
    (endpoint, form, headers) = fake_stripe.requests[0]
    assert endpoint == "payment_intents"
    assert form["amount"] == "12000"
    assert form["currency"] == "gbp"
    assert form["metadata[invoice_id]"] == str(invoice.id)
    assert headers["Authorization"] == f"Bearer {KEY}"
    assert headers["Idempotency-Key"] == f"aescrm-payment-{started['paymentId']}"
    payment = await Payment.get(id=started["paymentId"])
    assert (payment.status, payment.processor_reference) == (
        "PENDING",
        started["processorReference"],
    )

    pi = started["processorReference"]
    response = await _post(client, _event("payment_intent.succeeded", _intent(pi, 12_000)))
    assert response.status_code == 200
    assert response.json()["outcome"] == "PROCESSED"
    await payment.refresh_from_db()
    await invoice.refresh_from_db()
    assert payment.status == "SUCCEEDED"
    assert payment.unallocated_minor == 0
    assert (invoice.status, invoice.paid_minor) == ("PAID", 12_000)
    allocation = await PaymentAllocation.get(payment_id=payment.id)
    assert allocation.amount_minor == 12_000
    entry = await LedgerEntry.get(entity_id=payment.id)
    assert entry.kind == "PAYMENT"
    assert entry.content["amount_minor"] == 12_000
    events = await DomainEvent.filter(topic="billing", entity_id=payment.id).order_by("sequence")
    assert [e.type for e in events] == ["PAYMENT_STARTED", "PAYMENT_SUCCEEDED"]
    assert all(str(e.patient_id) == str(patient.id) for e in events)
    audits = await AuditEvent.filter(entity_id=str(payment.id)).values_list("action", flat=True)
    assert "CREATE payment_intent" in audits
    assert "UPDATE payment" in audits
    delivery = await WebhookDelivery.get(outcome="PROCESSED")
    assert delivery.payment_id == payment.id
    assert delivery.type == "payment_intent.succeeded"


async def test_part_payment_and_card_details(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 10_000)
    started = await _started(client, token, invoice, amount={"amount": 4_000, "currency": "GBP"})
    pi = started["processorReference"]
    assert (await _post(client, _event("charge.succeeded", _charge(pi, 4_000)))).status_code == 200
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("PARTIALLY_PAID", 4_000)
    payment = await Payment.get(id=started["paymentId"])
    assert (payment.status, payment.card_brand, payment.card_last4) == ("SUCCEEDED", "VISA", "4242")
    late = await _post(client, _event("payment_intent.succeeded", _intent(pi, 4_000)))
    assert late.json()["outcome"] == "IGNORED"
    assert await LedgerEntry.filter(entity_id=payment.id).count() == 1


# --- refusals and attacks -------------------------------------------------------------------


async def test_forged_signature_refused_recorded_and_reserves_nothing(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient)
    started = await _started(client, token, invoice)
    body = _event(
        "payment_intent.succeeded", _intent(started["processorReference"], 12_000), "evt_1"
    )
    before = await _state()
    for headers in (
        _signed(body, secret="whsec_attacker"),
        {"stripe-signature": "t=1,v1=deadbeef"},
        {},
        {"stripe-signature": "garbage"},
    ):
        response = await _post(client, body, headers)
        assert response.status_code == 400
        assert response.json()["outcome"] == "REFUSED_SIGNATURE"
    tampered = body.replace(b"12000", b"1")
    assert (await _post(client, tampered, _signed(body))).status_code == 400
    assert await _state() == before
    refused = await WebhookDelivery.filter(outcome="REFUSED_SIGNATURE")
    assert len(refused) == 5
    assert all(d.event_id is None for d in refused)
    assert {d.claimed_event_id for d in refused} == {"evt_1"}
    real = await _post(client, body)  # the forgeries did not reserve the real event's id
    assert real.json()["outcome"] == "PROCESSED"


async def test_stale_and_future_timestamps_refused(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    started = await _started(client, token, await _invoice(practice, patient))
    body = _event("payment_intent.succeeded", _intent(started["processorReference"], 12_000))
    before = await _state()
    old = await _post(client, body, _signed(body, timestamp=int(time.time()) - 301))
    future = await _post(client, body, _signed(body, timestamp=int(time.time()) + 3600))
    assert (old.status_code, old.json()["outcome"]) == (400, "REFUSED_STALE")
    assert (future.status_code, future.json()["outcome"]) == (400, "REFUSED_STALE")
    assert await _state() == before
    assert await WebhookDelivery.filter(outcome="REFUSED_STALE").count() == 2


async def test_unknown_type_and_malformed_refused(client: httpx.AsyncClient) -> None:
    unknown = _event("customer.created", {"id": "cus_1", "object": "customer"})
    response = await _post(client, unknown)
    assert (response.status_code, response.json()["outcome"]) == (400, "REFUSED_TYPE")
    row = await WebhookDelivery.get(outcome="REFUSED_TYPE")
    assert row.type == "customer.created"
    assert row.event_id is None
    not_event = orjson.dumps({"id": "x", "object": "charge"})
    bad = await _post(client, not_event)
    assert (bad.status_code, bad.json()["outcome"]) == (400, "REFUSED_MALFORMED")


async def test_oversized_body_refused_unread_and_recorded(client: httpx.AsyncClient) -> None:
    body = _event("payment_intent.succeeded", {"id": "pi_x", "pad": "a" * 9000})
    response = await _post(client, body)
    assert (response.status_code, response.json()["outcome"]) == (413, "REFUSED_TOO_LARGE")

    async def stream() -> AsyncIterator[bytes]:  # no content-length: counted as it arrives
        for _ in range(20):
            yield b"x" * 1024

    streamed = await client.post("/webhooks/stripe", content=stream(), headers=_signed(b"{}"))
    assert streamed.status_code == 413
    assert await WebhookDelivery.filter(outcome="REFUSED_TOO_LARGE").count() == 2
    assert await Payment.all().count() == 0


async def test_replay_and_duplicate_change_nothing(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 5_000)
    started = await _started(client, token, invoice)
    body = _event("payment_intent.succeeded", _intent(started["processorReference"], 5_000))
    headers = _signed(body)
    assert (await _post(client, body, headers)).json()["outcome"] == "PROCESSED"
    after = await _state()
    events = await DomainEvent.all().count()
    replay = await _post(client, body, headers)  # byte-for-byte replay
    resigned = await _post(client, body)  # same event delivered again, fresh signature
    assert [replay.status_code, resigned.status_code] == [200, 200]
    assert replay.json()["outcome"] == resigned.json()["outcome"] == "DUPLICATE"
    assert await _state() == after
    assert await DomainEvent.all().count() == events
    rows = await WebhookDelivery.all().order_by("received_at")
    assert [(r.outcome, r.event_id is not None) for r in rows] == [
        ("PROCESSED", True),
        ("DUPLICATE", False),
        ("DUPLICATE", False),
    ]


# --- out of order ---------------------------------------------------------------------------


async def test_refund_before_success_then_success_is_ignored(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 9_000)
    started = await _started(client, token, invoice)
    pi = started["processorReference"]
    refund = _event("charge.refunded", _charge(pi, 9_000, [("re_1", 3_000)]))
    assert (await _post(client, refund)).json()["outcome"] == "PROCESSED"
    payment = await Payment.get(id=started["paymentId"])
    await invoice.refresh_from_db()
    assert payment.status == "SUCCEEDED"
    assert (invoice.status, invoice.paid_minor) == ("PARTIALLY_PAID", 6_000)
    back = await Payment.get(kind="REFUND")
    assert (back.amount_minor, back.refunds_payment_id, back.processor_reference) == (
        3_000,
        payment.id,
        "re_1",
    )
    late = await _post(client, _event("payment_intent.succeeded", _intent(pi, 9_000)))
    assert late.json()["outcome"] == "IGNORED"
    kinds = await LedgerEntry.all().order_by("seq").values_list("kind", flat=True)
    assert kinds == ["PAYMENT", "REFUND"]
    # The charge updated again: the second refund only is new; the cumulative list repeats re_1.
    again = _event("charge.refunded", _charge(pi, 9_000, [("re_1", 3_000), ("re_2", 6_000)]))
    assert (await _post(client, again)).json()["outcome"] == "PROCESSED"
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("ISSUED", 0)
    assert await Payment.filter(kind="REFUND").count() == 2
    too_much = _event("charge.refunded", _charge(pi, 9_000, [("re_3", 1)]))
    assert (await _post(client, too_much)).json()["outcome"] == "IGNORED"
    assert await Payment.filter(kind="REFUND").count() == 2


async def test_failure_after_success_never_undoes_it(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    started = await _started(client, token, await _invoice(practice, patient, 2_000))
    pi = started["processorReference"]
    await _post(client, _event("payment_intent.succeeded", _intent(pi, 2_000)))
    late = await _post(client, _event("payment_intent.payment_failed", _intent(pi, 2_000, "x")))
    assert late.json()["outcome"] == "IGNORED"
    assert (await Payment.get(id=started["paymentId"])).status == "SUCCEEDED"


async def test_failed_attempt_then_success(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 2_000)
    started = await _started(client, token, invoice)
    pi = started["processorReference"]
    failed = await _post(client, _event("payment_intent.payment_failed", _intent(pi, 2_000, "x")))
    assert failed.json()["outcome"] == "PROCESSED"
    assert (await Payment.get(id=started["paymentId"])).status == "FAILED"
    await invoice.refresh_from_db()
    assert invoice.paid_minor == 0
    await _post(client, _event("payment_intent.succeeded", _intent(pi, 2_000)))
    await invoice.refresh_from_db()
    assert (await Payment.get(id=started["paymentId"])).status == "SUCCEEDED"
    assert invoice.status == "PAID"


async def test_dispute_marks_payment_and_audits(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    started = await _started(client, token, await _invoice(practice, patient, 2_000))
    pi = started["processorReference"]
    await _post(client, _event("payment_intent.succeeded", _intent(pi, 2_000)))
    dispute = {"id": "dp_1", "object": "dispute", "payment_intent": pi, "amount": 2_000}
    assert (await _post(client, _event("charge.dispute.created", dispute))).status_code == 200
    payment = await Payment.get(id=started["paymentId"])
    assert payment.status == "DISPUTED"
    assert await DomainEvent.filter(type="PAYMENT_DISPUTED", entity_id=payment.id).count() == 1
    again = await _post(client, _event("charge.dispute.created", dispute))
    assert again.json()["outcome"] == "IGNORED"


async def test_paid_meanwhile_leaves_credit_and_void_takes_nothing(
    client: httpx.AsyncClient,
) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 3_000)
    started = await _started(client, token, invoice)
    invoice.status = "VOID"
    await invoice.save()
    pi = started["processorReference"]
    await _post(client, _event("payment_intent.succeeded", _intent(pi, 3_000)))
    payment = await Payment.get(id=started["paymentId"])
    await invoice.refresh_from_db()
    assert (payment.status, payment.unallocated_minor) == ("SUCCEEDED", 3_000)
    assert (invoice.status, invoice.paid_minor) == ("VOID", 0)
    assert await PaymentAllocation.all().count() == 0


async def test_deposit_held_then_refunded(client: httpx.AsyncClient) -> None:
    practice, patient, _ = await _world()
    deposit = await Payment.create(
        id=uuid4(),
        practice_id=practice.id,
        patient_id=patient.id,
        kind="DEPOSIT",
        method="CARD",
        status="PENDING",
        amount_minor=5_000,
        processor="STRIPE",
        processor_reference="pi_deposit",
        appointment_id=uuid4(),
        received_at=datetime.now(UTC),
    )
    await _post(client, _event("payment_intent.succeeded", _intent("pi_deposit", 5_000)))
    await deposit.refresh_from_db()
    assert (deposit.status, deposit.deposit_state, deposit.unallocated_minor) == (
        "SUCCEEDED",
        "HELD",
        5_000,
    )
    await _post(client, _event("charge.refunded", _charge("pi_deposit", 5_000, [("re_d", 5_000)])))
    await deposit.refresh_from_db()
    assert (deposit.deposit_state, deposit.unallocated_minor) == ("REFUNDED", 0)


async def test_event_for_someone_elses_intent_is_ignored(client: httpx.AsyncClient) -> None:
    response = await _post(client, _event("payment_intent.succeeded", _intent("pi_other", 100)))
    assert (response.status_code, response.json()["outcome"]) == (200, "IGNORED")


# --- the mutation's rules -------------------------------------------------------------------


async def test_who_may_start_a_payment(client: httpx.AsyncClient, fake_stripe: FakeStripe) -> None:
    practice, patient, _token = await _world()
    invoice = await _invoice(practice, patient, 1_000)
    variables = {"input": {"invoiceId": str(invoice.id)}}
    dentist = factories.access_token(await factories.user(Role.DENTIST, practice))
    assert (await gql(client, CREATE, variables, token=dentist)).codes == ["FORBIDDEN"]
    elsewhere = await factories.practice()
    stranger = factories.access_token(await factories.user(Role.RECEPTIONIST, elsewhere))
    assert (await gql(client, CREATE, variables, token=stranger)).codes == ["NOT_FOUND"]
    other = await factories.patient(practice)
    portal_other = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=other.id)
    )
    assert (await gql(client, CREATE, variables, token=portal_other)).codes == ["NOT_FOUND"]
    assert fake_stripe.requests == []
    assert await Payment.all().count() == 0
    portal = factories.access_token(
        await factories.user(Role.PATIENT, practice, patient_id=patient.id)
    )
    own = await gql(client, CREATE, variables, token=portal)
    assert own.errors == []
    assert own.data["createPaymentIntent"]["status"] == "PENDING"


async def test_bad_input_changes_nothing(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 1_000)
    draft = await _invoice(practice, patient, 1_000, status="DRAFT")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"invoiceId": str(invoice.id), "amount": {"amount": 1_001}}, "BAD_USER_INPUT", "amount"),
        ({"invoiceId": str(invoice.id), "amount": {"amount": -5}}, "BAD_USER_INPUT", "amount"),
        (
            {"invoiceId": str(invoice.id), "amount": {"amount": 5, "currency": "EUR"}},
            "BAD_USER_INPUT",
            "amount",
        ),
        ({"invoiceId": str(draft.id)}, "CONFLICT", "invoiceId"),
        ({}, "BAD_USER_INPUT", "invoiceId"),
        ({"invoiceId": "nope"}, "BAD_USER_INPUT", "invoiceId"),
        ({"invoiceId": str(uuid4())}, "NOT_FOUND", ""),
    ]
    for values, code, field in cases:
        result = await gql(client, CREATE, {"input": values}, token=token)
        assert result.codes == [code], (values, result.errors)
        if field:
            assert result.errors[0]["extensions"].get("field") == field, values
    assert fake_stripe.requests == []
    assert await Payment.all().count() == 0


async def test_processor_down_records_nothing(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 1_000)
    fake_stripe.fail_next = True
    stripe_retries = processor.current()
    stripe_retries.config = type(stripe_retries.config)(  # type: ignore[attr-defined]
        secret_key=KEY, api_base=fake_stripe.url, max_network_retries=0
    )
    result = await gql(client, CREATE, {"input": {"invoiceId": str(invoice.id)}}, token=token)
    assert result.codes == ["PROCESSOR_UNAVAILABLE"]
    assert await Payment.all().count() == 0


async def test_refund_goes_to_the_local_server(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    refund = await processor.current().refund(
        "pi_local_9", Money(1_500), idempotency_key="aescrm-refund-1"
    )
    assert refund.id.startswith("re_local_")
    assert refund.status == "succeeded"
    endpoint, form, headers = fake_stripe.requests[-1]
    assert endpoint == "refunds"
    assert form == {"payment_intent": "pi_local_9", "amount": "1500"}
    assert headers["Idempotency-Key"] == "aescrm-refund-1"


async def test_webhook_without_a_secret_is_unavailable(database_url: str, tmp_path: Path) -> None:
    from graph.app import create_app

    app = create_app(make_settings(database_url, tmp_path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
            response = await http.post("/webhooks/stripe", content=b"{}")
    assert response.status_code == 503


def test_production_refuses_test_keys_and_a_local_api_base(tmp_path: Path) -> None:
    base = {"env": Environment.PRODUCTION, "var_dir": tmp_path}
    problems = Settings(
        **base, stripe_secret_key=KEY, stripe_api_base="http://127.0.0.1:1"
    ).production_problems()
    joined = "\n".join(problems)
    assert "AESCRM_STRIPE_SECRET_KEY must be a live key" in joined
    assert "AESCRM_STRIPE_WEBHOOK_SECRET must be set" in joined
    assert "AESCRM_STRIPE_API_BASE is for tests only" in joined
    live = Settings(
        **base, stripe_secret_key="sk_live_x", stripe_webhook_secret=SECRET
    ).production_problems()
    assert not [p for p in live if "STRIPE" in p]


async def test_demo_seed_goes_through_the_webhook(db: str) -> None:
    from services.billing.demo_stripe import seed_stripe

    practice = await factories.practice()
    patients = [await factories.patient(practice) for _ in range(4)]
    staff = await factories.user(Role.RECEPTIONIST, practice)
    made = await seed_stripe(practice, patients, staff, random.Random(7))
    assert [p.status for p in made] == ["SUCCEEDED", "SUCCEEDED", "SUCCEEDED", "FAILED"]
    assert all(p.deposit_state == "HELD" and p.card_last4 for p in made[:3])
    outcomes = sorted(await WebhookDelivery.all().values_list("outcome", flat=True))
    assert outcomes == ["PROCESSED"] * 4 + ["REFUSED_SIGNATURE"]
    assert await LedgerEntry.filter(kind="PAYMENT").count() == 3


async def test_concurrent_duplicates_apply_once(client: httpx.AsyncClient) -> None:
    practice, patient, token = await _world()
    invoice = await _invoice(practice, patient, 7_000)
    started = await _started(client, token, invoice)
    body = _event("payment_intent.succeeded", _intent(started["processorReference"], 7_000))
    headers = _signed(body)
    answers = await asyncio.gather(*(_post(client, body, headers) for _ in range(6)))
    assert [a.status_code for a in answers] == [200] * 6
    outcomes = sorted(a.json()["outcome"] for a in answers)
    assert outcomes == ["DUPLICATE"] * 5 + ["PROCESSED"]
    await invoice.refresh_from_db()
    assert (invoice.status, invoice.paid_minor) == ("PAID", 7_000)
    assert await LedgerEntry.filter(kind="PAYMENT").count() == 1
    assert await PaymentAllocation.all().count() == 1
