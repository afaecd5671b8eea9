"""Stripe's webhook: every delivery verified, recorded, and acted on at most once.

A delivery is verified with the library (``stripe_provider.verified_event``); a bad signature,
a stale (or future) timestamp, a body that is not a Stripe event, an event type not handled
here, or a body over the size cap is refused with 400 and recorded as a refused delivery (the
id the body claims is kept beside it, never as the event id, so a forgery cannot reserve a real
event's id). A verified event is recorded with its event id, unique per provider, in the same
unit of work as the change it makes, its audit rows and its outbox event: a replayed or
duplicated event finds that row, is recorded as a DUPLICATE delivery, changes nothing and
answers 200. A handler that fails unexpectedly rolls everything back, is recorded as FAILED
and answers 500, so Stripe delivers it again.

Events arrive in any order. The rules (``tests/graph/test_stripe_webhooks.py`` tests each):

1. ``payment_intent.succeeded``: PENDING or FAILED → SUCCEEDED (a failed attempt may be followed
   by a successful one on the same intent); the payment is allocated to its invoice (see
   ``allocate_processor_payment``) or, for a deposit, HELD; a PAYMENT ledger entry is appended.
   Already SUCCEEDED or DISPUTED: nothing changes (IGNORED).
2. ``payment_intent.payment_failed``: PENDING → FAILED. A failure arriving after the success
   (or after a refund or dispute) never undoes it: IGNORED.
3. ``charge.succeeded``, ``charge.refunded`` and the dispute events prove the charge
   succeeded: a payment still PENDING or FAILED is first made SUCCEEDED exactly as in rule 1,
   then the event applies; the ``payment_intent.succeeded`` that arrives later is IGNORED.
   ``charge.succeeded`` also records the card's brand and last four digits.
4. ``charge.refunded``: each refund in the charge not yet recorded (by its ``re_…`` id) becomes a
   REFUND payment (``refunds_payment_id`` the original) with a REFUND ledger entry; the refunded
   amount comes off the invoice's paid amount (status back to PARTIALLY_PAID or ISSUED) or off
   the credit on account; a refunded deposit is REFUNDED. Refunds never total more than the
   payment: the excess is IGNORED with an error recorded.
5. ``charge.dispute.created``: the payment becomes DISPUTED (audited and evented); the invoice
   is left as it is until the dispute is decided. ``charge.dispute.closed`` decides it: won
   releases it, lost reverses the disputed amount like a refund (ledger kind CHARGEBACK), any
   other status is recorded only; a ``created`` arriving after its ``closed`` is IGNORED (rules
   in ``services/billing/stripe_disputes.py``, tested in ``tests/graph/test_stripe_disputes.py``).
6. An event for an intent this server did not create (another integration on the same account)
   is recorded as IGNORED and answers 200.
7. ``payment_intent.canceled``: PENDING or FAILED → CANCELLED (it no longer holds back what a new
   intent for the invoice may take, ``services.billing.card_payments``); after a success it is
   IGNORED.

What each event does to a payment (allocation, audit row, ``billing`` event) is
``services/billing/stripe_effects.py``.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.models import Payment, WebhookDelivery
from db.queries import billing_processor as queries
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.billing import invoices, ledger
from services.billing.stripe_disputes import on_dispute_closed, on_dispute_created
from services.billing.stripe_effects import (
    IGNORED,
    PROCESSED,
    Result,
    allocate_processor_payment,
    changed,
    ledger_content,
    payment_of,
    succeed,
    unknown,
)
from services.billing.stripe_provider import (
    NAME,
    EventRefused,
    claimed_event_id,
    verified_event,
)

log = logging.getLogger("aescrm.billing.stripe")
DUPLICATE, FAILED = "DUPLICATE", "FAILED"
REFUSED_TYPE, REFUSED_TOO_LARGE = "REFUSED_TYPE", "REFUSED_TOO_LARGE"


@dataclass(frozen=True, slots=True)
class Receipt:
    status: int  # the HTTP status to answer
    outcome: str
    message: str = ""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    secret: str
    tolerance_seconds: int
    max_body_bytes: int


# --- recording deliveries -----------------------------------------------------------------


async def _record(
    outcome: str,
    *,
    event: dict[str, Any] | None = None,
    claimed: str | None = None,
    error: str | None = None,
    size: int = 0,
) -> None:
    """A delivery that changed nothing, in a transaction of its own."""
    async with unit_of_work() as uow:
        await WebhookDelivery(
            id=uuid4(),
            provider=NAME,
            event_id=None,
            claimed_event_id=(str(event["id"]) if event else claimed),
            type=(str(event["type"])[:64] if event else None),
            received_at=datetime.now(UTC),
            outcome=outcome,
            error=error,
            body_bytes=size,
        ).save(using_db=uow.connection)


async def refuse_too_large(size: int) -> Receipt:
    log.warning("stripe webhook refused", extra={"outcome": REFUSED_TOO_LARGE, "bytes": size})
    await _record(REFUSED_TOO_LARGE, error="The body is larger than the cap.", size=size)
    return Receipt(413, REFUSED_TOO_LARGE, "The body is too large.")


async def receive(payload: bytes, signature: str | None, config: WebhookConfig) -> Receipt:
    """Verify, record and apply one delivery; the answer Stripe gets."""
    size = len(payload)
    if size > config.max_body_bytes:
        return await refuse_too_large(size)
    try:
        event = verified_event(payload, signature, config.secret, config.tolerance_seconds)
    except EventRefused as refused:
        claimed = claimed_event_id(payload)
        log.warning(
            "stripe webhook refused",
            extra={"outcome": refused.refusal.value, "claimed_event_id": claimed},
        )
        await _record(refused.refusal.value, claimed=claimed, error=refused.message, size=size)
        return Receipt(400, refused.refusal.value, refused.message)
    kind = str(event["type"])
    handler = HANDLERS.get(kind)
    if handler is None:
        log.warning("stripe webhook refused", extra={"outcome": REFUSED_TYPE, "type": kind[:64]})
        await _record(REFUSED_TYPE, event=event, error="This event type is not handled.", size=size)
        return Receipt(400, REFUSED_TYPE, "This event type is not handled.")
    event_id = str(event["id"])
    if await queries.delivery(NAME, event_id) is not None:
        await _record(DUPLICATE, event=event, size=size)
        return Receipt(200, DUPLICATE)
    try:
        async with unit_of_work() as uow:
            delivery = WebhookDelivery(
                id=uuid4(),
                provider=NAME,
                event_id=event_id,
                claimed_event_id=event_id,
                type=kind[:64],
                received_at=datetime.now(UTC),
                outcome=PROCESSED,
                body_bytes=size,
            )
            await delivery.save(using_db=uow.connection)  # a concurrent twin fails here
            result = await handler(uow, event["data"]["object"])
            delivery.outcome, delivery.error = result.outcome, result.error
            delivery.payment_id = result.payment_id
            await delivery.save(
                using_db=uow.connection, update_fields=["outcome", "error", "payment_id"]
            )
    except IntegrityError:
        await _record(DUPLICATE, event=event, size=size)
        return Receipt(200, DUPLICATE)
    except Exception:
        log.exception("stripe webhook failed", extra={"event_id": event_id, "type": kind})
        await _record(FAILED, event=event, error="Processing failed; Stripe will retry.", size=size)
        return Receipt(500, FAILED, "Processing failed.")
    if result.error:
        log.warning("stripe webhook ignored", extra={"event_id": event_id, "error": result.error})
    return Receipt(200, result.outcome)


async def on_intent_succeeded(uow: UnitOfWork, intent: dict[str, Any]) -> Result:
    payment = await payment_of(uow, intent.get("id"))
    if payment is None:
        return unknown(intent.get("id"))
    if intent.get("amount") != payment.amount_minor or (
        str(intent.get("currency", "")).upper() != payment.currency
    ):
        return Result(IGNORED, payment.id, "The intent's amount differs from the payment's.")
    charge = intent.get("latest_charge")
    done = await succeed(uow, payment, charge if isinstance(charge, dict) else None)
    return Result(PROCESSED if done else IGNORED, payment.id)


async def on_intent_failed(uow: UnitOfWork, intent: dict[str, Any]) -> Result:
    payment = await payment_of(uow, intent.get("id"))
    if payment is None:
        return unknown(intent.get("id"))
    if payment.status != "PENDING":  # rule 2: never undo a success; FAILED twice is nothing
        return Result(IGNORED, payment.id)
    payment.status = "FAILED"
    await payment.save(using_db=uow.connection, update_fields=["status"])
    await changed(uow, payment, "PAYMENT_FAILED", "UPDATE payment", ["status"])
    return Result(PROCESSED, payment.id)


async def on_charge_succeeded(uow: UnitOfWork, charge: dict[str, Any]) -> Result:
    payment = await payment_of(uow, charge.get("payment_intent"))
    if payment is None:
        return unknown(charge.get("payment_intent"))
    done = await succeed(uow, payment, charge)
    return Result(PROCESSED if done else IGNORED, payment.id)


async def _take_back(uow: UnitOfWork, payment: Payment, amount: int, refunded_before: int) -> None:
    """A refund comes off the payment's credit on account first, then off what it paid on
    its invoice (status back to PARTIALLY_PAID, or ISSUED when nothing is left paid)."""
    pid = tenant_gate.practice_of(payment)
    allocated = sum(
        int(a.amount_minor) for a in await queries.allocations(pid, payment.id, uow.connection)
    )
    credit_before = int(payment.unallocated_minor)
    from_credit = min(amount, credit_before)
    payment.unallocated_minor = credit_before - from_credit
    rest = amount - from_credit
    if rest <= 0 or payment.invoice_id is None:
        return
    credit_at_start = int(payment.amount_minor) - allocated
    off_invoice_before = refunded_before - (credit_at_start - credit_before)
    still_on_invoice = allocated - max(0, off_invoice_before)
    invoice = await queries.locked_invoice(pid, UUID(str(payment.invoice_id)), uow.connection)
    if invoice is None or invoice.status not in {"PAID", "PARTIALLY_PAID"}:
        return
    off = min(rest, still_on_invoice, int(invoice.paid_minor))
    if off > 0:
        await invoices.settle(uow, pid, UUID(str(invoice.id)), -off)


async def on_charge_refunded(uow: UnitOfWork, charge: dict[str, Any]) -> Result:
    payment = await payment_of(uow, charge.get("payment_intent"))
    if payment is None:
        return unknown(charge.get("payment_intent"))
    await succeed(uow, payment, charge)  # rule 3: a refund proves the charge succeeded
    pid = tenant_gate.practice_of(payment)
    refunds = charge.get("refunds")
    listed = refunds.get("data") if isinstance(refunds, dict) else None
    if not isinstance(listed, list) or not listed:  # no list: one refund of the cumulative total
        total = charge.get("amount_refunded")
        listed = [{"id": f"{charge.get('id')}:{total}", "amount": total}] if total else []
    already = await queries.refunded_minor(pid, payment.id, uow.connection)
    recorded = 0
    error = None
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            continue
        amount = item.get("amount")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            continue
        if item.get("status") in {"failed", "canceled"}:
            continue
        reference = str(item["id"])[:64]
        if await queries.refund_by_reference(NAME, reference, uow.connection) is not None:
            continue
        if already + amount > int(payment.amount_minor):
            error = "A refund would exceed the payment; not recorded."
            continue
        refund = Payment(
            id=uuid4(),
            practice_id=pid,
            patient_id=payment.patient_id,
            kind="REFUND",
            method="CARD",
            status="SUCCEEDED",
            currency=payment.currency,
            amount_minor=amount,
            unallocated_minor=0,
            refunds_payment_id=payment.id,
            invoice_id=payment.invoice_id,
            appointment_id=payment.appointment_id,
            processor=NAME,
            processor_reference=reference,
            card_brand=payment.card_brand,
            card_last4=payment.card_last4,
            received_at=datetime.now(UTC),
        )
        await refund.save(using_db=uow.connection)
        await _take_back(uow, payment, amount, already)
        already += amount
        recorded += 1
        await ledger.append(
            uow, pid, kind="REFUND", entity_id=refund.id, content=ledger_content(refund)
        )
        await changed(uow, refund, "PAYMENT_REFUNDED", "CREATE refund", ["amount", "refunds"])
    if recorded:
        if payment.kind == "DEPOSIT" and already >= int(payment.amount_minor):
            payment.deposit_state = "REFUNDED"
        await payment.save(
            using_db=uow.connection, update_fields=["unallocated_minor", "deposit_state"]
        )
    return Result(PROCESSED if recorded else IGNORED, payment.id, error)


async def on_intent_canceled(uow: UnitOfWork, intent: dict[str, Any]) -> Result:
    payment = await payment_of(uow, intent.get("id"))
    if payment is None:
        return unknown(intent.get("id"))
    if payment.status not in {"PENDING", "FAILED"}:  # rule 7: never undoes a success
        return Result(IGNORED, payment.id)
    payment.status = "CANCELLED"
    await payment.save(using_db=uow.connection, update_fields=["status"])
    await changed(uow, payment, "PAYMENT_CANCELLED", "UPDATE payment", ["status"])
    return Result(PROCESSED, payment.id)


Handler = Callable[[UnitOfWork, dict[str, Any]], Awaitable[Result]]
HANDLERS: dict[str, Handler] = {
    "payment_intent.succeeded": on_intent_succeeded,
    "payment_intent.payment_failed": on_intent_failed,
    "payment_intent.canceled": on_intent_canceled,
    "charge.succeeded": on_charge_succeeded,
    "charge.refunded": on_charge_refunded,
    "charge.dispute.created": on_dispute_created,
    "charge.dispute.closed": on_dispute_closed,
}

__all__ = [
    "HANDLERS",
    "Receipt",
    "WebhookConfig",
    "allocate_processor_payment",
    "receive",
    "refuse_too_large",
]
