"""Demo card payments through Stripe, applied by the real webhook code.

Deposits started online (PENDING card payments naming a ``pi_demo_…`` intent, as
``createPaymentIntent`` records them) are then confirmed by signed ``charge.succeeded`` events
delivered to ``stripe_webhooks.receive`` with a demo secret, so the demo's payments, ledger
entries, audit rows, events and webhook delivery log are exactly what a live webhook leaves;
one attempt fails, and one forged delivery is refused and logged. No network is used.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from uuid import uuid4

import orjson

from db.models import Patient, Payment, Practice, User
from db.uow import unit_of_work
from services.billing import stripe_webhooks
from services.billing.stripe_provider import signature_header

AMOUNTS = (2_000, 2_500, 5_000)
BRANDS = (("VISA", "4242"), ("MASTERCARD", "4444"), ("AMEX", "8431"))


def _event(kind: str, obj: dict[str, object]) -> bytes:
    body = {
        "id": f"evt_demo_{secrets.token_hex(8)}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "data": {"object": obj},
    }
    return orjson.dumps(body)


async def _deliver(body: bytes, secret: str, signed_with: str | None = None) -> None:
    """Deliver ``body`` to the endpoint's logic, signed with ``signed_with`` (default: the
    endpoint's own secret)."""
    config = stripe_webhooks.WebhookConfig(secret, 300, 64 * 1024)
    header = signature_header(body, signed_with or secret)
    await stripe_webhooks.receive(body, header, config)


async def seed_stripe(
    practice: Practice, patients: Sequence[Patient], staff_user: User, rng: random.Random
) -> list[Payment]:
    """Up to four online deposits: three confirmed (card brand and last four recorded), one
    declined; plus one forged delivery refused. Returns the payments."""
    made: list[Payment] = []
    secret = f"whsec_{secrets.token_hex(16)}"  # this run's endpoint secret, never stored
    for n, patient in enumerate(list(patients)[:4]):
        amount = rng.choice(AMOUNTS)
        intent = f"pi_demo_{uuid4().hex[:20]}"
        async with unit_of_work() as uow:
            payment = Payment(
                id=uuid4(),
                practice_id=practice.id,
                patient_id=patient.id,
                kind="DEPOSIT",
                method="CARD",
                status="PENDING",
                currency="GBP",
                amount_minor=amount,
                processor="STRIPE",
                processor_reference=intent,
                taken_by_user_id=staff_user.id,
                received_at=datetime.now(UTC),
            )
            await payment.save(using_db=uow.connection)
        if n == 3:
            failed = {"id": intent, "object": "payment_intent", "amount": amount, "currency": "gbp"}
            await _deliver(_event("payment_intent.payment_failed", failed), secret)
        else:
            brand, last4 = BRANDS[n % len(BRANDS)]
            charge = {
                "id": f"ch_demo_{uuid4().hex[:20]}",
                "object": "charge",
                "payment_intent": intent,
                "amount": amount,
                "currency": "gbp",
                "payment_method_details": {"card": {"brand": brand.lower(), "last4": last4}},
            }
            await _deliver(_event("charge.succeeded", charge), secret)
        await payment.refresh_from_db()
        made.append(payment)
    forged = _event(
        "payment_intent.succeeded", {"id": "pi_demo_forged", "object": "payment_intent"}
    )
    await _deliver(forged, secret, signed_with=f"whsec_{secrets.token_hex(16)}")
    return made


__all__ = ["seed_stripe"]
