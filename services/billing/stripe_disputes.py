"""Card disputes as Stripe reports them: opened (``charge.dispute.created``) and decided
(``charge.dispute.closed``).

A dispute proves the charge succeeded (a PENDING or FAILED payment is first made SUCCEEDED,
rule 3 of ``services.billing.stripe_webhooks``). While it is open the payment is DISPUTED: it
leaves the patient's balance (only SUCCEEDED payments count), the invoice is left as it is.
Closing decides it:

- ``won`` (and ``warning_closed``, an inquiry closed without becoming a chargeback: the money
  never left) releases it: DISPUTED → SUCCEEDED, the balance as before the dispute.
- ``lost``: the bank took the disputed amount back. It becomes a real reversal through
  ``services.billing.refunds.reverse``, as a refund would: a REFUND row naming the payment (its
  processor reference the dispute's ``dp_…`` id, so a second report of the same loss finds it),
  chained in the ledger as CHARGEBACK, taken from the payment's credit on account first and then
  off the invoices it settled (paid amount and status back; the debt is open again). The payment
  is SUCCEEDED again (it was received; the reversal is the row that returns it). What the
  payment no longer holds (a forfeited deposit) is not reversed: the delivery records the gap
  for a person to follow up.
- any other status is recorded on the delivery only; nothing changes.

Out of order: a dispute closed before its ``created`` arrives is decided all the same, and the
late ``created`` is IGNORED (the delivery log says the dispute is closed), so a payment never
stays DISPUTED after its dispute was decided. Each effect writes its SYSTEM audit row and a
``billing`` event (PAYMENT_DISPUTED, PAYMENT_DISPUTE_WON, PAYMENT_DISPUTE_LOST and
PAYMENT_CHARGED_BACK for the reversal row) in the delivery's unit of work.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from db.models import Payment
from db.queries import billing_processor as queries
from db.uow import UnitOfWork
from services.billing import refunds
from services.billing.stripe_effects import (
    IGNORED,
    PROCESSED,
    Result,
    changed,
    payment_of,
    succeed,
    unknown,
)
from services.billing.stripe_provider import NAME

CREATED, CLOSED = "charge.dispute.created", "charge.dispute.closed"
RELEASED = frozenset({"won", "warning_closed"})
LOST = "lost"
CHARGEBACK = "CHARGEBACK"  # the ledger kind of a lost dispute's reversal
REASON = "Card dispute lost: the card issuer returned the money to the cardholder."


async def on_dispute_created(uow: UnitOfWork, dispute: dict[str, Any]) -> Result:
    payment = await payment_of(uow, dispute.get("payment_intent"))
    if payment is None:
        return unknown(dispute.get("payment_intent"))
    done = await succeed(uow, payment, None)  # rule 3
    if await queries.dispute_closed(NAME, payment.id, CLOSED, uow.connection):
        return Result(PROCESSED if done else IGNORED, payment.id, "The dispute is closed already.")
    if payment.status == "DISPUTED":
        return Result(IGNORED, payment.id)
    payment.status = "DISPUTED"
    await payment.save(using_db=uow.connection, update_fields=["status"])
    await changed(uow, payment, "PAYMENT_DISPUTED", "UPDATE payment", ["status", "dispute"])
    return Result(PROCESSED, payment.id)


async def on_dispute_closed(uow: UnitOfWork, dispute: dict[str, Any]) -> Result:
    payment = await payment_of(uow, dispute.get("payment_intent"))
    if payment is None:
        return unknown(dispute.get("payment_intent"))
    done = await succeed(uow, payment, None)  # rule 3
    status = str(dispute.get("status", ""))[:32]
    if status in RELEASED:
        if payment.status != "DISPUTED":  # closed before it was opened here, or twice
            return Result(PROCESSED if done else IGNORED, payment.id)
        payment.status = "SUCCEEDED"
        await payment.save(using_db=uow.connection, update_fields=["status"])
        await changed(uow, payment, "PAYMENT_DISPUTE_WON", "UPDATE payment", ["status", "dispute"])
        return Result(PROCESSED, payment.id)
    if status == LOST:
        return await _lost(uow, payment, dispute, done)
    return Result(
        PROCESSED if done else IGNORED,
        payment.id,
        f"Dispute closed as {status!r}: recorded only.",
    )


def _refused(dispute: dict[str, Any], payment: Payment) -> str | None:
    """Why a lost dispute cannot be reversed as reported (a person follows it up), if so."""
    reference, amount = dispute.get("id"), dispute.get("amount")
    if not isinstance(reference, str) or not reference.startswith("dp_"):
        return "The dispute has no id."
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        return "The dispute has no amount."
    if str(dispute.get("currency", payment.currency)).upper() != payment.currency:
        return "The dispute's currency differs from the payment's."
    return None


async def _lost(uow: UnitOfWork, payment: Payment, dispute: dict[str, Any], done: bool) -> Result:
    problem = _refused(dispute, payment)
    if problem is not None:
        return Result(PROCESSED if done else IGNORED, payment.id, problem)
    reference, disputed = str(dispute["id"])[:64], int(dispute["amount"])
    if await queries.refund_by_reference(NAME, reference, uow.connection) is not None:
        return Result(PROCESSED if done else IGNORED, payment.id)  # this loss is recorded
    if payment.status == "DISPUTED":
        payment.status = "SUCCEEDED"
        await payment.save(using_db=uow.connection, update_fields=["status"])
    await changed(uow, payment, "PAYMENT_DISPUTE_LOST", "UPDATE payment", ["status", "dispute"])
    amount = min(disputed, await refunds.refundable(uow, payment))
    error = None
    if amount < disputed:
        error = f"Only {amount} of the {disputed} disputed (minor units) could be reversed."
    if amount > 0:
        reversal, _ = await refunds.reverse(
            uow,
            payment,
            refunds.Reversal(
                amount, REASON, processor=NAME, reference=reference, ledger_kind=CHARGEBACK
            ),
        )
        if payment.deposit_state == "HELD" and payment.unallocated_minor == 0:
            payment.deposit_state, payment.deposit_settled_at = "REFUNDED", datetime.now(UTC)
            await payment.save(
                using_db=uow.connection, update_fields=["deposit_state", "deposit_settled_at"]
            )
        await changed(
            uow,
            reversal,
            "PAYMENT_CHARGED_BACK",
            "CREATE chargeback",
            ["amount", "refunds", "dispute"],
        )
    return Result(PROCESSED, payment.id, error)


__all__ = ["CHARGEBACK", "on_dispute_closed", "on_dispute_created"]
