"""What the processor's events do to a payment, shared by the webhook's handlers
(``services.billing.stripe_webhooks`` for intents, charges and refunds,
``services.billing.stripe_disputes`` for disputes).

Each change is made in the delivery's unit of work with a SYSTEM audit row (client
``stripe-webhook``) and a ``billing`` outbox event naming the payment and its patient, so the
patient's account and the practice's billing update live as for a change made at the desk.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from db.audit_chain import AuditRecord
from db.models import Payment, PaymentAllocation
from db.outbox import PendingEvent
from db.queries import billing_processor as queries
from db.queries import organizations
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services import actors, tenant_gate
from services.billing import invoices, ledger
from services.billing.stripe_provider import NAME

TOPIC = "billing"
PROCESSED, IGNORED = "PROCESSED", "IGNORED"
DONE = frozenset({"SUCCEEDED", "DISPUTED"})


@dataclass(slots=True)
class Result:
    outcome: str = PROCESSED
    payment_id: UUID | None = None
    error: str | None = None


def _system_audit(
    action: str, payment: Payment, organization_id: UUID, fields: list[str]
) -> AuditRecord:
    return AuditRecord(
        action=action,
        organization_id=organization_id,
        practice_id=UUID(str(payment.practice_id)),
        actor_role="SYSTEM",
        client_id="stripe-webhook",
        entity_type="Payment",
        entity_id=str(payment.id),
        patient_id=UUID(str(payment.patient_id)),
        fields_read=fields,
    )


async def changed(
    uow: UnitOfWork, payment: Payment, event_type: str, action: str, fields: list[str]
) -> None:
    """The audit row and outbox event of a change the processor told us about."""
    pid = tenant_gate.practice_of(payment)
    practice = await organizations.practice_row(pid, uow.connection)
    oid = tenant_gate.organization_of(practice)
    uow.audit(_system_audit(action, payment, oid, fields))
    uow.emit(
        PendingEvent(
            organization_id=oid,
            practice_id=pid,
            topic=TOPIC,
            type=event_type,
            entity_id=UUID(str(payment.id)),
            patient_id=UUID(str(payment.patient_id)),
            payload=actors.stamped(
                {
                    "status": payment.status,
                    "kind": payment.kind,
                    "amount_minor": payment.amount_minor,
                },
                None,
            ),
        )
    )


def ledger_content(payment: Payment) -> dict[str, Any]:
    return {
        "payment": str(payment.id),
        "patient": str(payment.patient_id),
        "kind": payment.kind,
        "method": payment.method,
        "amount_minor": int(payment.amount_minor),
        "currency": payment.currency,
        "processor": payment.processor,
        "reference": payment.processor_reference,
        "refunds": None if payment.refunds_payment_id is None else str(payment.refunds_payment_id),
        "invoice": None if payment.invoice_id is None else str(payment.invoice_id),
    }


async def allocate_processor_payment(
    uow: UnitOfWork, practice_id: PracticeId, payment: Payment
) -> int:
    """Allocate a succeeded processor payment to its invoice; returns the amount allocated.

    Up to what is still owed (total less paid and credited) goes on the invoice through
    ``invoices.settle``; a VOID, DRAFT or settled invoice takes nothing. The money was taken all
    the same, so whatever is not allocated stays on the account as credit
    (``unallocated_minor``)."""
    amount = int(payment.amount_minor)
    allocated = 0
    if payment.invoice_id is not None:
        invoice = await queries.locked_invoice(
            practice_id, UUID(str(payment.invoice_id)), uow.connection
        )
        payable = (
            invoice is not None
            and invoice.status in {"ISSUED", "PARTIALLY_PAID"}
            and str(invoice.patient_id) == str(payment.patient_id)
            and invoice.currency == payment.currency
        )
        if invoice is not None and payable:
            owed = int(invoice.total_minor) - int(invoice.paid_minor) - int(invoice.credited_minor)
            allocated = max(0, min(amount, owed))
            if allocated:
                await invoices.settle(uow, practice_id, UUID(str(invoice.id)), allocated)
                await PaymentAllocation(
                    id=uuid4(),
                    practice_id=practice_id,
                    payment_id=payment.id,
                    invoice_id=invoice.id,
                    amount_minor=allocated,
                    allocated_at=datetime.now(UTC),
                ).save(using_db=uow.connection)
    payment.unallocated_minor = amount - allocated
    return allocated


def _card(charge: dict[str, Any] | None) -> tuple[str | None, str | None]:
    if not isinstance(charge, dict):
        return None, None
    details = charge.get("payment_method_details")
    card = details.get("card") if isinstance(details, dict) else None
    if not isinstance(card, dict):
        return None, None
    brand, last4 = card.get("brand"), card.get("last4")
    brand = str(brand).upper()[:16] if isinstance(brand, str) else None
    last4 = last4 if isinstance(last4, str) and len(last4) == 4 and last4.isdigit() else None
    return brand, last4


async def succeed(uow: UnitOfWork, payment: Payment, charge: dict[str, Any] | None) -> bool:
    """Rule 1: PENDING/FAILED → SUCCEEDED with allocation and ledger; False if already done."""
    brand, last4 = _card(charge)
    if payment.status in DONE:
        if last4 and not payment.card_last4:
            payment.card_brand, payment.card_last4 = brand, last4
            await payment.save(using_db=uow.connection, update_fields=["card_brand", "card_last4"])
            await changed(uow, payment, "PAYMENT_CHANGED", "UPDATE payment", ["card"])
        return False
    pid = tenant_gate.practice_of(payment)
    payment.status = "SUCCEEDED"
    payment.received_at = datetime.now(UTC)
    if last4:
        payment.card_brand, payment.card_last4 = brand, last4
    if payment.kind == "DEPOSIT":
        payment.unallocated_minor = int(payment.amount_minor)
        payment.deposit_state = "HELD"
    else:
        await allocate_processor_payment(uow, pid, payment)
    await payment.save(using_db=uow.connection)
    await ledger.append(
        uow, pid, kind="PAYMENT", entity_id=payment.id, content=ledger_content(payment)
    )
    await changed(uow, payment, "PAYMENT_SUCCEEDED", "UPDATE payment", ["status", "allocation"])
    return True


async def payment_of(uow: UnitOfWork, intent_id: object) -> Payment | None:
    if not isinstance(intent_id, str) or not intent_id:
        return None
    return await queries.locked_payment_by_reference(NAME, intent_id, uow.connection)


def unknown(intent_id: object) -> Result:
    return Result(IGNORED, error=f"No payment here for intent {str(intent_id)[:64]}.")


__all__ = [
    "DONE",
    "IGNORED",
    "PROCESSED",
    "TOPIC",
    "Result",
    "allocate_processor_payment",
    "changed",
    "ledger_content",
    "payment_of",
    "succeed",
    "unknown",
]
