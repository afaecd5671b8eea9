"""What a new card payment intent may take from an invoice, on both backends, against the local
Stripe: what is owed less the card payments already started for it and still PENDING, so two
intents (two tabs, the portal and reception at once) never both charge the same debt. Failed,
cancelled and abandoned intents do not count. Rules: services/billing/card_payments.py."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from db.models import Invoice, Payment
from services.billing.card_payments import PENDING_COUNTS_FOR
from tests.factories import GraphQLResult, gql
from tests.graph import stripe_support
from tests.graph.stripe_support import CREATE, FakeStripe, event, intent, invoice, post, world

fake_stripe = stripe_support.fake_stripe
settings = stripe_support.settings


async def _start(
    client: httpx.AsyncClient, token: str, bill: Invoice, amount: int | None = None
) -> GraphQLResult:
    values: dict[str, Any] = {"invoiceId": str(bill.id)}
    if amount is not None:
        values["amount"] = {"amount": amount, "currency": "GBP"}
    return await gql(client, CREATE, {"input": values}, token=token)


def _taken(result: GraphQLResult) -> int:
    assert result.errors == [], result.errors
    amount: int = result.data["createPaymentIntent"]["amount"]["amount"]
    return amount


def _refused(result: GraphQLResult) -> tuple[str, str]:
    assert result.data == {"createPaymentIntent": None}
    return result.codes[0], result.errors[0]["extensions"]["field"]


async def _deliver(client: httpx.AsyncClient, kind: str, obj: dict[str, Any]) -> str:
    response = await post(client, event(kind, obj))
    assert response.status_code == 200, response.text
    outcome: str = response.json()["outcome"]
    return outcome


async def test_pending_intents_hold_back_what_they_are_for(
    client: httpx.AsyncClient, fake_stripe: FakeStripe
) -> None:
    practice, patient, token = await world()
    bill = await invoice(practice, patient, 10_000)
    first = await _start(client, token, bill, 6_000)
    assert _taken(first) == 6_000
    assert _refused(await _start(client, token, bill, 4_001)) == ("BAD_USER_INPUT", "amount")
    assert _taken(await _start(client, token, bill)) == 4_000  # the default: what is left
    assert _refused(await _start(client, token, bill)) == ("CONFLICT", "invoiceId")
    assert _refused(await _start(client, token, bill, 1)) == ("CONFLICT", "invoiceId")
    assert len(fake_stripe.requests) == 2  # refusals never reach the processor
    assert await Payment.filter(status="PENDING").count() == 2

    # A failed attempt holds nothing back; nor does a cancelled intent.
    pi = first.data["createPaymentIntent"]["processorReference"]
    failed = await _deliver(client, "payment_intent.payment_failed", intent(pi, 6_000, "x"))
    assert failed == "PROCESSED"
    assert _refused(await _start(client, token, bill, 6_001)) == ("BAD_USER_INPUT", "amount")
    third = await _start(client, token, bill, 6_000)
    assert _taken(third) == 6_000
    cancelled = third.data["createPaymentIntent"]
    pi3 = cancelled["processorReference"]
    canceled = await _deliver(client, "payment_intent.canceled", intent(pi3, 6_000, "canceled"))
    assert canceled == "PROCESSED"
    assert (await Payment.get(id=cancelled["paymentId"])).status == "CANCELLED"
    assert _taken(await _start(client, token, bill)) == 6_000

    # Once one succeeds, what it paid is off the invoice and no longer "in progress".
    pending = await Payment.filter(status="PENDING", amount_minor=4_000).first()
    assert pending is not None
    succeeded = intent(str(pending.processor_reference), 4_000)
    assert await _deliver(client, "payment_intent.succeeded", succeeded) == "PROCESSED"
    assert _refused(await _start(client, token, bill)) == ("CONFLICT", "invoiceId")
    late_cancel = await _deliver(client, "payment_intent.canceled", succeeded)
    assert late_cancel == "IGNORED"  # a cancel never undoes a success


async def test_abandoned_intents_and_credit_notes(client: httpx.AsyncClient) -> None:
    practice, patient, token = await world()
    bill = await invoice(practice, patient, 10_000)
    assert _taken(await _start(client, token, bill)) == 10_000
    assert _refused(await _start(client, token, bill)) == ("CONFLICT", "invoiceId")
    long_ago = datetime.now(UTC) - PENDING_COUNTS_FOR - timedelta(minutes=1)
    await Payment.filter(status="PENDING").update(received_at=long_ago)
    assert _taken(await _start(client, token, bill)) == 10_000  # the first was abandoned

    credited = await invoice(practice, patient, 10_000)
    await Invoice.filter(id=credited.id).update(credited_minor=4_000)
    assert _taken(await _start(client, token, credited)) == 6_000  # owed, not the total
    assert _refused(await _start(client, token, credited, 1)) == ("CONFLICT", "invoiceId")


async def test_concurrent_intents_for_one_debt(client: httpx.AsyncClient) -> None:
    practice, patient, token = await world()
    bill = await invoice(practice, patient, 7_500)
    answers = await asyncio.gather(*(_start(client, token, bill) for _ in range(4)))
    taken = [a for a in answers if not a.errors]
    assert len(taken) == 1, [a.errors for a in answers]
    assert _taken(taken[0]) == 7_500
    assert sorted(_refused(a) for a in answers if a.errors) == [("CONFLICT", "invoiceId")] * 3
    assert await Payment.all().count() == 1
