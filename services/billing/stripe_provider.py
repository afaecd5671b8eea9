"""Stripe, through its official library: payment intents and refunds out, signed events in.

The ``stripe`` library is used here only. Outbound calls use the library's async methods
(``*_async`` on ``StripeClient``) over its aiohttp client (its default, httpx, makes a call
httpx deprecates), one client per call: these calls are rare, each closes its connections, and
nothing is bound to an event loop between requests. The API base is a setting so tests point the
client at a local server; with a live secret key nothing else changes.

Inbound events are verified with ``stripe.WebhookSignature.verify_header`` (HMAC-SHA256 over
``<timestamp>.<raw body>`` with the endpoint's ``whsec_`` secret, constant-time compared) and a
tolerance in seconds; a timestamp further in the future than the tolerance is refused too (the
library checks only the past).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import orjson
import stripe

from services.billing.money import Money
from services.billing.processor import Intent, ProcessorUnavailable, Refund

log = logging.getLogger("aescrm.billing.stripe")
NAME = "STRIPE"
DEFAULT_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class StripeConfig:
    secret_key: str
    api_base: str | None = None  # default: https://api.stripe.com
    timeout_seconds: float = 20.0
    max_network_retries: int = 2


class StripeProvider:
    name = NAME

    def __init__(self, config: StripeConfig) -> None:
        self.config = config

    def _client(self) -> tuple[stripe.StripeClient, stripe.HTTPClient]:
        http = stripe.AIOHTTPClient(timeout=self.config.timeout_seconds)
        bases: Any = {"api": self.config.api_base} if self.config.api_base else None
        client = stripe.StripeClient(
            self.config.secret_key,
            base_addresses=bases,
            http_client=http,
            max_network_retries=self.config.max_network_retries,
        )
        return client, http

    async def create_payment_intent(
        self, amount: Money, metadata: Mapping[str, str], *, idempotency_key: str
    ) -> Intent:
        client, http = self._client()
        try:
            intent = await client.v1.payment_intents.create_async(
                params={
                    "amount": amount.minor,
                    "currency": amount.currency.lower(),
                    "metadata": dict(metadata),
                    "automatic_payment_methods": {"enabled": True},
                },
                options={"idempotency_key": idempotency_key},
            )
        except stripe.StripeError as error:
            raise ProcessorUnavailable(_said(error)) from None
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        if intent.amount != amount.minor or str(intent.currency).upper() != amount.currency:
            raise ProcessorUnavailable("The processor answered with a different amount.")
        return Intent(id=intent.id, client_secret=intent.client_secret or "", status=intent.status)

    async def refund(
        self, intent_id: str, amount: Money | None = None, *, idempotency_key: str
    ) -> Refund:
        client, http = self._client()
        params: Any = {"payment_intent": intent_id}
        if amount is not None:
            params["amount"] = amount.minor
        try:
            refund = await client.v1.refunds.create_async(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except stripe.StripeError as error:
            raise ProcessorUnavailable(_said(error)) from None
        finally:
            await http.close_async()  # type: ignore[no-untyped-call]
        return Refund(id=refund.id, status=refund.status or "pending")


def _said(error: stripe.StripeError) -> str:
    """What the payer may be told: the processor's user-facing message for a card problem,
    a fixed sentence for anything else (never the key, never the raw response)."""
    log.warning(
        "stripe request failed",
        extra={"error": type(error).__name__, "status": error.http_status, "code": error.code},
    )
    if isinstance(error, stripe.CardError) and error.user_message:
        return str(error.user_message)[:200]
    return "The payment processor could not be reached or refused the request."


class Refusal(StrEnum):
    SIGNATURE = "REFUSED_SIGNATURE"
    STALE = "REFUSED_STALE"
    MALFORMED = "REFUSED_MALFORMED"


class EventRefused(Exception):
    def __init__(self, refusal: Refusal, message: str) -> None:
        super().__init__(message)
        self.refusal = refusal
        self.message = message


def verified_event(
    payload: bytes, header: str | None, secret: str, tolerance_seconds: int
) -> dict[str, Any]:
    """The event a signed delivery carries, as plain JSON, or ``EventRefused``."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise EventRefused(Refusal.MALFORMED, "The body is not UTF-8.") from None
    # Signature first, timestamp second: a forged header never learns whether its time was ok.
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=None)
    except stripe.SignatureVerificationError:
        raise EventRefused(Refusal.SIGNATURE, "The signature does not verify.") from None
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=tolerance_seconds)
    except stripe.SignatureVerificationError:
        raise EventRefused(Refusal.STALE, "The signature's timestamp is too old.") from None
    if _signed_at(header or "") > time.time() + tolerance_seconds:
        raise EventRefused(Refusal.STALE, "The signature's timestamp is in the future.")
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        raise EventRefused(Refusal.MALFORMED, "The body is not JSON.") from None
    if not isinstance(event, dict) or event.get("object") != "event":
        raise EventRefused(Refusal.MALFORMED, "The body is not a Stripe event.")
    if not isinstance(event.get("id"), str) or not isinstance(event.get("type"), str):
        raise EventRefused(Refusal.MALFORMED, "The event has no id or type.")
    data = event.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("object"), dict):
        raise EventRefused(Refusal.MALFORMED, "The event carries no object.")
    return event


def _signed_at(header: str) -> int:
    for item in header.split(","):
        key, _, value = item.partition("=")
        if key.strip() == "t" and value.strip().isdigit():
            return int(value.strip())
    return 0


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """A ``Stripe-Signature`` header for ``payload`` (the library's own scheme; tests, demo)."""
    return str(
        stripe.WebhookSignature.generate_signature_header(
            payload.decode("utf-8"), secret, timestamp=timestamp
        )
    )


def claimed_event_id(payload: bytes) -> str | None:
    """The id an unverified body claims (logged beside a refusal, never trusted)."""
    try:
        event = orjson.loads(payload)
    except orjson.JSONDecodeError:
        return None
    found = event.get("id") if isinstance(event, dict) else None
    return found[:255] if isinstance(found, str) else None


__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "NAME",
    "EventRefused",
    "Refusal",
    "StripeConfig",
    "StripeProvider",
    "claimed_event_id",
    "signature_header",
    "verified_event",
]
