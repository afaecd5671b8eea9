"""``POST /webhooks/stripe``: the payment processor's signed event deliveries.

The raw body is read unparsed (the signature covers its exact bytes) and never more than
``AESCRM_STRIPE_WEBHOOK_MAX_BYTES`` of it: a larger declared or streamed body is refused with
413 and recorded. No bearer token: the ``Stripe-Signature`` header is the credential. The work
(verify, record, apply once) is ``services.billing.stripe_webhooks.receive``.
"""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from graph.settings import Settings
from services.billing import stripe_webhooks

STRIPE_PATH = "/webhooks/stripe"
# The general body cap lets this path through up to here; the route itself refuses (and
# records) anything over the webhook cap without reading further.
OUTER_CAP_BYTES = 16 * 1024 * 1024
HEADERS = {"cache-control": "no-store"}


def _answer(receipt: stripe_webhooks.Receipt) -> Response:
    body = {"received": receipt.status == 200, "outcome": receipt.outcome}
    if receipt.message:
        body["message"] = receipt.message
    return Response(orjson.dumps(body), receipt.status, HEADERS, media_type="application/json")


async def stripe_webhook(request: Request) -> Response:
    settings: Settings = request.app.state.settings
    secret = settings.stripe_webhook_secret
    if secret is None:
        unavailable = stripe_webhooks.Receipt(503, "NOT_CONFIGURED", "Webhooks are not set up.")
        return _answer(unavailable)
    cap = settings.stripe_webhook_max_bytes
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        return _answer(await stripe_webhooks.refuse_too_large(int(declared)))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:  # stop reading at once
            return _answer(await stripe_webhooks.refuse_too_large(size))
        chunks.append(chunk)
    receipt = await stripe_webhooks.receive(
        b"".join(chunks),
        request.headers.get("stripe-signature"),
        stripe_webhooks.WebhookConfig(
            secret=secret.get_secret_value(),
            tolerance_seconds=settings.stripe_webhook_tolerance_seconds,
            max_body_bytes=cap,
        ),
    )
    return _answer(receipt)


routes = [Route(STRIPE_PATH, stripe_webhook, methods=["POST"])]

__all__ = ["OUTER_CAP_BYTES", "STRIPE_PATH", "routes"]
