"""Card disputes decided by Stripe (``charge.dispute.closed``), on both backends, through real
signed deliveries: won releases the payment, lost reverses the disputed amount like a refund
(the debt is open again, the ledger has a CHARGEBACK that ``verify-ledger`` checks), other
statuses are recorded only, and a dispute closed before its ``created`` arrives is decided all
the same while the late ``created`` changes nothing. Rules: services/billing/stripe_disputes.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from db.models import (
    AuditEvent,
    DomainEvent,
    Invoice,
    LedgerEntry,
    Patient,
    Payment,
    PaymentAllocation,
    WebhookDelivery,
)
from services.billing import ledger_integrity
from tests.factories import gql
from tests.graph import stripe_support
from tests.graph.billing_support import ACCOUNT
from tests.graph.stripe_support import (
    dispute,
    event,
    intent,
    invoice,
    post,
    started,
    state,
    world,
)

fake_stripe = stripe_support.fake_stripe
settings = stripe_support.settings


async def _deliver(client: httpx.AsyncClient, kind: str, obj: dict[str, Any]) -> str:
    response = await post(client, event(kind, obj))
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    return outcome


async def _paid(
    client: httpx.AsyncClient, total: int
) -> tuple[str, Invoice, Payment, str, Patient]:
    """Reception's token and an issued invoice paid in full by card through the webhook."""
    practice, patient, token = await world()
    bill = await invoice(practice, patient, total)
    begun = await started(client, token, bill)
    pi = begun["processorReference"]
    assert await _deliver(client, "payment_intent.succeeded", intent(pi, total)) == "PROCESSED"
    return token, bill, await Payment.get(id=begun["paymentId"]), pi, patient


async def _balance(client: httpx.AsyncClient, token: str, patient: Patient) -> dict[str, int]:
    result = await gql(client, ACCOUNT, {"p": str(patient.id)}, token=token)
    assert result.errors == [], result.errors
    account = result.data["patient"]["account"]
    return {k: account[k]["amount"] for k in ("balance", "paid", "refunded")}


async def _events(payment_id: object) -> list[str]:
    rows = await DomainEvent.filter(topic="billing", entity_id=payment_id).order_by("sequence")
    return [r.type for r in rows]


async def test_won_releases_the_payment(client: httpx.AsyncClient) -> None:
    token, bill, payment, pi, patient = await _paid(client, 5_000)
    assert await _deliver(client, "charge.dispute.created", dispute(pi, 5_000)) == "PROCESSED"
    await payment.refresh_from_db()
    assert payment.status == "DISPUTED"
    assert await _balance(client, token, patient) == {"balance": 5_000, "paid": 0, "refunded": 0}

    won = event("charge.dispute.closed", dispute(pi, 5_000, "won"))
    assert (await post(client, won)).json()["outcome"] == "PROCESSED"
    await payment.refresh_from_db()
    await bill.refresh_from_db()
    assert payment.status == "SUCCEEDED"
    assert (bill.status, bill.paid_minor) == ("PAID", 5_000)
    assert await _balance(client, token, patient) == {"balance": 0, "paid": 5_000, "refunded": 0}
    assert await _events(payment.id) == [
        "PAYMENT_STARTED",
        "PAYMENT_SUCCEEDED",
        "PAYMENT_DISPUTED",
        "PAYMENT_DISPUTE_WON",
    ]
    event_row = await DomainEvent.get(type="PAYMENT_DISPUTE_WON")
    assert str(event_row.patient_id) == str(patient.id)
    assert event_row.payload["actor"] == {"kind": "SYSTEM"}
    audited = await AuditEvent.filter(entity_id=str(payment.id), client_id="stripe-webhook")
    assert len(audited) == 3  # succeeded, disputed, won
    kinds = await LedgerEntry.all().order_by("seq").values_list("kind", flat=True)
    assert kinds == ["PAYMENT"]

    before = await state()
    assert (await post(client, won)).json()["outcome"] == "DUPLICATE"  # the same event again
    again = await _deliver(client, "charge.dispute.closed", dispute(pi, 5_000, "won"))
    assert again == "IGNORED"  # the same decision reported again under a new event id
    assert await state() == before


async def test_lost_reverses_the_disputed_amount_and_reopens_the_debt(
    client: httpx.AsyncClient,
) -> None:
    token, bill, payment, pi, patient = await _paid(client, 8_000)
    await _deliver(client, "charge.dispute.created", dispute(pi, 3_000))
    lost = await _deliver(client, "charge.dispute.closed", dispute(pi, 3_000, "lost"))
    assert lost == "PROCESSED"
    await payment.refresh_from_db()
    await bill.refresh_from_db()
    assert payment.status == "SUCCEEDED"
    assert (bill.status, bill.paid_minor) == ("PARTIALLY_PAID", 5_000)
    back = await Payment.get(kind="REFUND")
    assert (back.amount_minor, back.refunds_payment_id, back.method, back.status) == (
        3_000,
        payment.id,
        "CARD",
        "SUCCEEDED",
    )
    assert (back.processor, back.processor_reference) == ("STRIPE", "dp_1")
    allocations = await PaymentAllocation.filter(payment_id=payment.id).order_by("allocated_at")
    assert [a.amount_minor for a in allocations] == [8_000, -3_000]
    assert await _balance(client, token, patient) == {
        "balance": 3_000,
        "paid": 8_000,
        "refunded": 3_000,
    }
    entries = await LedgerEntry.all().order_by("seq")
    assert [e.kind for e in entries] == ["PAYMENT", "CHARGEBACK"]
    assert entries[1].entity_id == back.id
    assert entries[1].content["amount"] == 3_000
    assert await _events(payment.id) == [
        "PAYMENT_STARTED",
        "PAYMENT_SUCCEEDED",
        "PAYMENT_DISPUTED",
        "PAYMENT_DISPUTE_LOST",
    ]
    assert await _events(back.id) == ["PAYMENT_CHARGED_BACK"]
    assert await AuditEvent.filter(action="CREATE chargeback", entity_id=str(back.id)).exists()
    report = await ledger_integrity.verify()
    assert report.ok, report.lines

    # The reopened debt can be paid by card again: exactly what the loss reopened.
    second = await started(client, token, bill)
    assert second["amount"]["amount"] == 3_000

    before = await state()
    again = await _deliver(client, "charge.dispute.closed", dispute(pi, 3_000, "lost"))
    assert again == "IGNORED"  # the loss of dp_1 is recorded once
    assert await state() == before

    await Payment.filter(id=back.id).update(amount_minor=1)  # tampering with the reversal
    report = await ledger_integrity.verify()
    assert not report.ok
    assert "BROKEN at seq 2" in report.lines[0]
    assert "amount: ledger 3000, now 1" in report.lines[0]


@pytest.mark.parametrize("decision", ["won", "lost"])
async def test_closed_before_created(client: httpx.AsyncClient, decision: str) -> None:
    practice, patient, token = await world()
    bill = await invoice(practice, patient, 6_000)
    begun = await started(client, token, bill)
    pi = begun["processorReference"]
    # The dispute's decision is the first thing heard of the payment: it proves the charge.
    closed = await _deliver(client, "charge.dispute.closed", dispute(pi, 6_000, decision))
    assert closed == "PROCESSED"
    payment = await Payment.get(id=begun["paymentId"])
    await bill.refresh_from_db()
    assert payment.status == "SUCCEEDED"
    reversed_ = 6_000 if decision == "lost" else 0
    assert (bill.paid_minor, bill.status) == (
        6_000 - reversed_,
        "ISSUED" if reversed_ else "PAID",
    )

    late = await _deliver(client, "charge.dispute.created", dispute(pi, 6_000))
    assert late == "IGNORED"
    await payment.refresh_from_db()
    assert payment.status == "SUCCEEDED"  # never left DISPUTED after the decision
    assert await _deliver(client, "payment_intent.succeeded", intent(pi, 6_000)) == "IGNORED"
    assert await _balance(client, token, patient) == {
        "balance": reversed_,
        "paid": 6_000,
        "refunded": reversed_,
    }
    kinds = await LedgerEntry.all().order_by("seq").values_list("kind", flat=True)
    assert kinds == (["PAYMENT", "CHARGEBACK"] if reversed_ else ["PAYMENT"])
    assert "PAYMENT_DISPUTED" not in await _events(payment.id)
    assert (await ledger_integrity.verify()).ok


async def test_other_statuses_and_unusable_reports_are_recorded_only(
    client: httpx.AsyncClient,
) -> None:
    _, _, payment, pi, _ = await _paid(client, 4_000)
    await _deliver(client, "charge.dispute.created", dispute(pi, 4_000))
    before = await state()
    events = await DomainEvent.all().count()
    odd = await _deliver(client, "charge.dispute.closed", dispute(pi, 4_000, "under_review"))
    euros = {**dispute(pi, 4_000, "lost"), "currency": "eur"}
    foreign = await _deliver(client, "charge.dispute.closed", euros)
    nameless = await _deliver(client, "charge.dispute.closed", {**euros, "id": None})
    assert [odd, foreign, nameless] == ["IGNORED"] * 3
    assert await state() == before
    assert await DomainEvent.all().count() == events
    await payment.refresh_from_db()
    assert payment.status == "DISPUTED"  # still waiting for a decision a person follows up
    errors = await WebhookDelivery.filter(type="charge.dispute.closed").values_list(
        "error", flat=True
    )
    assert sorted(e or "" for e in errors) == [
        "Dispute closed as 'under_review': recorded only.",
        "The dispute has no id.",
        "The dispute's currency differs from the payment's.",
    ]


async def test_lost_deposits(client: httpx.AsyncClient) -> None:
    practice, patient, _ = await world()

    async def deposit(pi: str) -> Payment:
        return await Payment.create(
            id=uuid4(),
            practice_id=practice.id,
            patient_id=patient.id,
            kind="DEPOSIT",
            method="CARD",
            status="PENDING",
            amount_minor=2_500,
            processor="STRIPE",
            processor_reference=pi,
            appointment_id=uuid4(),
            received_at=datetime.now(UTC),
        )

    held = await deposit("pi_held")
    await _deliver(client, "charge.dispute.closed", dispute("pi_held", 2_500, "lost", "dp_h"))
    await held.refresh_from_db()
    assert (held.status, held.deposit_state, held.unallocated_minor) == (
        "SUCCEEDED",
        "REFUNDED",
        0,
    )
    assert await Payment.filter(kind="REFUND", refunds_payment_id=held.id).count() == 1

    kept = await deposit("pi_kept")
    await _deliver(client, "payment_intent.succeeded", intent("pi_kept", 2_500))
    await Payment.filter(id=kept.id).update(deposit_state="FORFEITED", unallocated_minor=0)
    outcome = await _deliver(
        client, "charge.dispute.closed", dispute("pi_kept", 2_500, "lost", "dp_k")
    )
    assert outcome == "PROCESSED"
    assert not await Payment.filter(kind="REFUND", refunds_payment_id=kept.id).exists()
    gap = await WebhookDelivery.get(type="charge.dispute.closed", payment_id=kept.id)
    assert gap.error == "Only 0 of the 2500 disputed (minor units) could be reversed."
