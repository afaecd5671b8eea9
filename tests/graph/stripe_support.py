"""The local Stripe the card-payment tests talk to, and signed webhook deliveries.

Outbound: ``createPaymentIntent`` and ``refund`` go through the official library to a local
aiohttp server (``FakeStripe``) speaking the two endpoints used. Inbound: payloads are signed
with the library's own scheme (``stripe.WebhookSignature.generate_signature_header``) and a test
secret and posted to ``/webhooks/stripe``. A test module uses it by naming the fixtures:
``fake_stripe = stripe_support.fake_stripe`` and ``settings = stripe_support.settings``.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl
from uuid import uuid4

import httpx
import orjson
import pytest
import stripe
from aiohttp import web

from db.models import Invoice, LedgerEntry, Patient, Payment, PaymentAllocation, Practice
from graph.settings import Settings
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql

SECRET = "whsec_test_aescrm_0123456789"
KEY = "sk_test_aescrm_local"
CREATE = """
mutation C($input: CreatePaymentIntentInput!) { createPaymentIntent(input: $input) {
  paymentId kind status amount { amount currency } processor processorReference clientSecret } }"""


class FakeStripe:
    """A local HTTP server answering POST /v1/payment_intents and /v1/refunds like Stripe."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, str]]] = []
        self.runner: web.AppRunner | None = None
        self.url = ""
        self.fail_next = False

    async def _intent(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl(await request.text()))
        self.requests.append(("payment_intents", form, dict(request.headers)))
        if self.fail_next:
            self.fail_next = False
            error = {"error": {"type": "api_error", "message": "boom"}}
            return web.json_response(error, status=500)
        n = len(self.requests)
        body = {
            "id": f"pi_local_{n}",
            "object": "payment_intent",
            "amount": int(form["amount"]),
            "currency": form["currency"],
            "client_secret": f"pi_local_{n}_secret_xyz",
            "status": "requires_payment_method",
            "metadata": {k[9:-1]: v for k, v in form.items() if k.startswith("metadata[")},
        }
        return web.json_response(body)

    async def _refund(self, request: web.Request) -> web.Response:
        form = dict(parse_qsl(await request.text()))
        self.requests.append(("refunds", form, dict(request.headers)))
        body = {"id": f"re_local_{len(self.requests)}", "object": "refund", "status": "succeeded"}
        return web.json_response({**body, "amount": int(form.get("amount", 0))})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/payment_intents", self._intent)
        app.router.add_post("/v1/refunds", self._refund)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = self.runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}"

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


@pytest.fixture
async def fake_stripe() -> AsyncIterator[FakeStripe]:
    server = FakeStripe()
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@pytest.fixture
def settings(database_url: str, tmp_path: Path, fake_stripe: FakeStripe) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        stripe_secret_key=KEY,
        stripe_webhook_secret=SECRET,
        stripe_api_base=fake_stripe.url,
        stripe_webhook_tolerance_seconds=300,
        stripe_webhook_max_bytes=8 * 1024,
    )


# --- helpers --------------------------------------------------------------------------------


async def world() -> tuple[Practice, Patient, str]:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    return practice, patient, factories.access_token(receptionist)


async def invoice(
    practice: Practice, patient: Patient, total: int = 12_000, status: str = "ISSUED"
) -> Invoice:
    n = await Invoice.filter(practice_id=practice.id).count() + 1
    return await Invoice.create(
        id=uuid4(),
        practice_id=practice.id,
        patient_id=patient.id,
        status=status,
        number=None if status == "DRAFT" else f"T-{n}",
        sequence_number=None if status == "DRAFT" else n,
        net_minor=total,
        total_minor=total,
        tax_point=date.today(),
        issued_at=None if status == "DRAFT" else datetime.now(UTC),
    )


def event(kind: str, obj: dict[str, Any], event_id: str | None = None) -> bytes:
    return orjson.dumps(
        {
            "id": event_id or f"evt_{uuid4().hex}",
            "object": "event",
            "api_version": "2025-01-27",
            "created": int(time.time()),
            "type": kind,
            "livemode": False,
            "data": {"object": obj},
        }
    )


def intent(pi: str, amount: int, status: str = "succeeded") -> dict[str, Any]:
    return {
        "id": pi,
        "object": "payment_intent",
        "amount": amount,
        "currency": "gbp",
        "status": status,
    }


def charge(pi: str, amount: int, refunds: list[tuple[str, int]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    return {
        "id": f"ch_{pi}",
        "object": "charge",
        "payment_intent": pi,
        "amount": amount,
        "amount_refunded": sum(a for _, a in refunds),
        "currency": "gbp",
        "payment_method_details": {"type": "card", "card": {"brand": "visa", "last4": "4242"}},
        "refunds": {
            "object": "list",
            "data": [
                {"id": r, "object": "refund", "amount": a, "status": "succeeded"}
                for r, a in refunds
            ],
        },
    }


def signed(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, timestamp=timestamp
    )
    return {"stripe-signature": header, "content-type": "application/json"}


async def post(
    client: httpx.AsyncClient, body: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    return await client.post(
        "/webhooks/stripe", content=body, headers=signed(body) if headers is None else headers
    )


async def started(
    client: httpx.AsyncClient, token: str, invoice: Invoice, **extra: Any
) -> dict[str, Any]:
    result = await gql(
        client, CREATE, {"input": {"invoiceId": str(invoice.id), **extra}}, token=token
    )
    assert result.errors == [], result.errors
    started: dict[str, Any] = result.data["createPaymentIntent"]
    return started


async def state() -> tuple[list[tuple[str, str]], list[tuple[str, int]], int, int]:
    payments = [(p.status, p.kind) for p in await Payment.all().order_by("received_at")]
    invoices = [(i.status, int(i.paid_minor)) for i in await Invoice.all().order_by("created_at")]
    return (
        payments,
        invoices,
        await LedgerEntry.all().count(),
        await PaymentAllocation.all().count(),
    )


def dispute(
    pi: str, amount: int, status: str = "needs_response", dp: str = "dp_1"
) -> dict[str, Any]:
    return {
        "id": dp,
        "object": "dispute",
        "payment_intent": pi,
        "charge": f"ch_{pi}",
        "amount": amount,
        "currency": "gbp",
        "reason": "fraudulent",
        "status": status,
    }
