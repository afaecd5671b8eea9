"""The payment processor as billing sees it: create an intent to pay, refund one.

A processor (``services.billing.stripe_provider.StripeProvider``) is configured once at start-up
(``configure``); without one, taking a card payment online answers ``PROCESSOR_UNAVAILABLE``.
Amounts cross this boundary as ``Money`` (integer minor units), never floats. Card details never
reach this server: the browser confirms the intent with the processor using the client secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from services.billing.money import Money
from services.errors import DomainError


class ProcessorUnavailable(DomainError):
    """No processor is configured, or it could not be reached or refused the request."""

    code = "PROCESSOR_UNAVAILABLE"


@dataclass(frozen=True, slots=True)
class Intent:
    id: str  # pi_...
    client_secret: str  # handed to the payer's browser only
    status: str  # the processor's status, e.g. requires_payment_method


@dataclass(frozen=True, slots=True)
class Refund:
    id: str  # re_...
    status: str


class PaymentProcessor(Protocol):
    name: str  # stored in Payment.processor, e.g. "STRIPE"

    async def create_payment_intent(
        self, amount: Money, metadata: Mapping[str, str], *, idempotency_key: str
    ) -> Intent: ...

    async def refund(
        self, intent_id: str, amount: Money | None = None, *, idempotency_key: str
    ) -> Refund: ...


_processor: PaymentProcessor | None = None


def configure(processor: PaymentProcessor | None) -> None:
    global _processor
    _processor = processor


def current() -> PaymentProcessor:
    if _processor is None:
        raise ProcessorUnavailable("Online card payments are not configured for this server.")
    return _processor


__all__ = [
    "Intent",
    "PaymentProcessor",
    "ProcessorUnavailable",
    "Refund",
    "configure",
    "current",
]
