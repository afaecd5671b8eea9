"""Card payments taken online through the payment processor: starting one.

``create_payment_intent`` asks the processor for an intent for an issued invoice's outstanding
amount (or part of it) or for a booking's deposit, and records a PENDING card payment naming the
intent; the payer's browser confirms it with the client secret, and the processor's webhook
(``services.billing.stripe_webhooks``) moves it on.

What a new intent may take from an invoice is what it owes (total less paid and credited) less
the card payments already started for it and still PENDING, so two intents (two tabs, the
portal and reception at once) cannot both charge the same debt: asking for more is
BAD_USER_INPUT on ``amount``, nothing left is CONFLICT on ``invoiceId``. Failed and cancelled
intents do not count, nor does one left unconfirmed for ``PENDING_COUNTS_FOR`` (abandoned: if it
is confirmed after all, what the invoice no longer owes stays on the account as credit). The
check is made before calling the processor and again, with the invoice row locked, in the unit
of work that records the payment (the intent of a request that lost that race is never handed
out, so it is never confirmed). Staff need billing:write in the practice; a
patient signed in to the portal may pay their own invoice or deposit. The processor is called
before the unit of work (no transaction is held open across the network); the intent is created
with the new payment's id as its idempotency key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Invoice, Patient, Payment
from db.outbox import PendingEvent
from db.queries import billing_processor as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import actors, audit, tenant_gate
from services.billing import allocations, processor
from services.billing.money import Money, checked
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal

TOPIC = "billing"
PAYABLE = frozenset({"ISSUED", "PARTIALLY_PAID"})
CLOSED_APPOINTMENT = frozenset({"CANCELLED", "COMPLETED", "DNA", "NO_SHOW"})
PENDING_COUNTS_FOR = timedelta(hours=24)  # an intent unconfirmed for longer is abandoned


@dataclass(frozen=True, slots=True)
class StartedPayment:
    payment: Payment
    client_secret: str


async def _payer(principal: Principal, patient_id: UUID, what: str) -> Patient:
    """The patient, if the caller may see them; NOT_FOUND (as ``what``) otherwise."""
    try:
        return await patient_access.readable_patient(principal, patient_id)
    except NotFound:
        raise NotFound(what) from None


async def _may_take(principal: Principal, patient: Patient, pid: PracticeId) -> None:
    if principal.is_patient:
        if patient.id in principal.patient_ids:
            return
    elif principal.has_scope(Scope.BILLING_WRITE, pid):
        return
    await audit.record_denied(principal, action="CREATE payment_intent", practice_id=pid)
    raise PolicyDenied("You do not have permission to take payments here.")


def _amount(given: Money | None, currency: str, most: int | None) -> Money:
    if given is None:
        if most is None:
            raise ValidationFailed("Give the deposit amount.", field="amount")
        return Money(most, currency)
    checked(given.minor, "amount")
    if given.currency != currency:
        raise ValidationFailed(
            f"The amount must be in {currency}, the invoice's currency.", field="amount"
        )
    if most is not None and given.minor > most:
        raise ValidationFailed(
            f"The amount is more than the {most} (minor units) owed on the invoice less card "
            "payments already in progress.",
            field="amount",
        )
    return given


async def _available(invoice: Invoice, connection: BaseDBAsyncClient | None = None) -> int:
    """What a new intent may take: owed less the invoice's card payments in progress; CONFLICT
    when that is nothing."""
    if invoice.status not in PAYABLE:
        raise Conflict(f"A {invoice.status} invoice cannot be paid.", field="invoiceId")
    owed = allocations.owed(invoice)
    if owed <= 0:
        raise Conflict("Nothing is owed on this invoice.", field="invoiceId")
    since = datetime.now(UTC) - PENDING_COUNTS_FOR
    pending = await queries.pending_intents_minor(
        tenant_gate.practice_of(invoice), UUID(str(invoice.id)), since, connection
    )
    if owed - pending <= 0:
        raise Conflict(
            "Card payments already in progress cover what is owed on this invoice.",
            field="invoiceId",
        )
    return owed - pending


async def create_payment_intent(
    principal: Principal,
    *,
    invoice_id: UUID | None = None,
    appointment_id: UUID | None = None,
    amount: Money | None = None,
) -> StartedPayment:
    if (invoice_id is None) == (appointment_id is None):
        raise ValidationFailed("Give either an invoice or an appointment.", field="invoiceId")
    readable = principal.practices_with(Scope.PATIENT_READ)
    kind = "PAYMENT"
    if invoice_id is not None:
        invoice = await queries.invoice(readable, invoice_id)
        if invoice is None or invoice.kind != "INVOICE":
            raise NotFound("Invoice")
        patient = await _payer(principal, UUID(str(invoice.patient_id)), "Invoice")
        pid = tenant_gate.practice_of(invoice)
        await _may_take(principal, patient, pid)
        value = _amount(amount, invoice.currency, await _available(invoice))
    else:
        assert appointment_id is not None
        booking = await queries.appointment(readable, appointment_id)
        if booking is None or booking.patient_id is None:
            raise NotFound("Appointment")
        patient = await _payer(principal, UUID(str(booking.patient_id)), "Appointment")
        pid = tenant_gate.practice_of(booking)
        await _may_take(principal, patient, pid)
        if booking.status in CLOSED_APPOINTMENT:
            raise Conflict(
                f"A deposit cannot be taken for a {booking.status} appointment.",
                field="appointmentId",
            )
        value = _amount(amount, amount.currency if amount else "GBP", None)
        kind = "DEPOSIT"
    payment_id = uuid4()
    metadata = {"payment_id": str(payment_id), "practice_id": str(pid), "kind": kind}
    if invoice_id is not None:
        metadata["invoice_id"] = str(invoice_id)
    provider = processor.current()
    intent = await provider.create_payment_intent(
        value, metadata, idempotency_key=f"aescrm-payment-{payment_id}"
    )
    async with unit_of_work() as uow:
        if invoice_id is not None:  # again, in turn with any other intent for the invoice
            locked = await queries.locked_invoice(pid, invoice_id, uow.connection)
            if locked is None:
                raise NotFound("Invoice")
            _amount(value, locked.currency, await _available(locked, uow.connection))
        payment = Payment(
            id=payment_id,
            practice_id=pid,
            patient_id=patient.id,
            kind=kind,
            method="CARD",
            status="PENDING",
            currency=value.currency,
            amount_minor=value.minor,
            unallocated_minor=0,
            invoice_id=invoice_id,
            appointment_id=appointment_id,
            processor=provider.name,
            processor_reference=intent.id,
            taken_by_user_id=None if principal.is_patient else principal.user_id,
            received_at=datetime.now(UTC),
        )
        await payment.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="CREATE payment_intent",
                practice_id=pid,
                entity_type="Payment",
                entity_id=payment.id,
                patient_id=patient.id,
                fields=["status", "amount", "processorReference"],
            )
        )
        uow.emit(
            PendingEvent(
                organization_id=await organization_id(principal, pid),
                practice_id=pid,
                topic=TOPIC,
                type="PAYMENT_STARTED",
                entity_id=payment.id,
                patient_id=patient.id,
                payload=actors.stamped(
                    {"status": "PENDING", "kind": kind, "amount_minor": value.minor}, principal
                ),
            )
        )
    return StartedPayment(payment=payment, client_secret=intent.client_secret)


__all__ = ["StartedPayment", "create_payment_intent"]
