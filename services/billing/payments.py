"""Taking payments and applying credit on account.

A payment is one unit of work: the payment row, its allocations, each invoice's paid amount and
status (``allocations.settle``), a PAYMENT entry in the practice's hash-chained ledger, the audit
row and a ``billing`` outbox event (``PAYMENT_TAKEN``; ``CREDIT_ALLOCATED`` for credit applied
later). What is not allocated stays on the payment as credit on account (``unallocated_minor``).

Allocation is explicit (invoice and amount, each invoice the patient's, open, in the payment's
currency, never more than it owes) or, when none is given, oldest invoice first
(``money.allocate`` over the open invoices by due date).

Card payments carry only the payment processor's token or reference: a number that looks like
a card number (a Luhn-valid run of 13-19 digits) anywhere in the token or the note is refused,
as for insurance details.

Taking a payment needs billing:write in the patient's practice (receptionists and practice
admins); the patient is found through ``patient_access`` so another practice's patient (or
payment, or invoice) answers like a random id.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from db.models import Patient, Payment, PaymentAllocation
from db.outbox import PendingEvent
from db.queries import payments as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.billing import allocations, ledger
from services.billing.money import Money, allocate
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal

TOPIC = "billing"
MAX_ALLOCATIONS = 50
_DIGIT_RUN = re.compile(r"\d[\d \-]{11,}\d")
_TOKEN = re.compile(r"[A-Za-z0-9_\-]{3,64}")


class Method(StrEnum):
    CASH = "CASH"
    CARD = "CARD"
    BANK_TRANSFER = "BANK_TRANSFER"
    MEMBERSHIP_PLAN = "MEMBERSHIP_PLAN"


@dataclass(frozen=True, slots=True)
class Allocation:
    invoice_id: UUID
    amount: Money


def refuse_card_numbers(value: str | None, field: str) -> None:
    """BAD_USER_INPUT when ``value`` holds anything that looks like a card number."""
    if not value:
        return
    for run in _DIGIT_RUN.findall(value):
        digits = re.sub(r"[\s-]", "", run)
        for size in range(13, 20):  # any 13-19 digit window of a longer run too
            for start in range(0, len(digits) - size + 1):
                if v.looks_like_card_number(digits[start : start + size]):
                    raise ValidationFailed(
                        "Card numbers must not be stored; give the payment processor's token.",
                        field=field,
                    )


def card_token(method: Method, token: str | None, field: str = "cardToken") -> str | None:
    """The processor token of a card payment (required for CARD, refused for the rest)."""
    if token is None or token == "":
        if method is Method.CARD:
            raise ValidationFailed(
                "A card payment needs the payment processor's token or reference.", field=field
            )
        return None
    refuse_card_numbers(token, field)
    if method is not Method.CARD:
        raise ValidationFailed("Only card payments carry a card token.", field=field)
    if not _TOKEN.fullmatch(token):
        raise ValidationFailed(
            "A processor token is 3-64 letters, digits, '_' or '-'.", field=field
        )
    return token


def processor_of(token: str | None) -> str | None:
    if token is None:
        return None
    return "STRIPE" if token.startswith(("pi_", "ch_", "py_", "re_")) else "TERMINAL"


async def check_reference(uow: UnitOfWork, token: str | None) -> None:
    processor = processor_of(token)
    if (
        token is not None
        and processor is not None
        and await queries.reference_taken(processor, token, uow.connection)
    ):
        raise Conflict("That processor reference is already recorded.", field="cardToken")


def note_text(value: str | None, field: str = "note") -> str | None:
    refuse_card_numbers(value, field)
    return v.text(value, field, max_length=500) if value else None


async def patient_for_billing(
    principal: Principal, patient_id: UUID, scope: Scope, action: str
) -> Patient:
    """The patient, if visible, and the caller holds ``scope`` in their practice (staff only
    for billing:write; a patient reads their own account)."""
    patient = await patient_access.readable_patient(principal, patient_id)
    pid = tenant_gate.practice_of(patient)
    if scope is Scope.BILLING_WRITE:
        await patient_access.require(principal, scope, patient, action=action)
        return patient
    if not principal.has_scope(scope, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to read this patient's account.")
    return patient


async def found_payment(
    principal: Principal, payment_id: UUID, action: str, *, entity: str = "Payment"
) -> tuple[Payment, Patient]:
    """A payment of a practice the caller may bill in, and its (visible) patient; anything
    else answers like a random id."""
    found = await queries.payment(principal.practices_with(Scope.BILLING_READ), payment_id)
    if found is None:
        raise NotFound(entity)
    try:
        patient = await patient_access.readable_patient(principal, UUID(str(found.patient_id)))
    except NotFound:
        raise NotFound(entity) from None
    await patient_access.require(principal, Scope.BILLING_WRITE, patient, action=action)
    return found, patient


async def changed(
    uow: UnitOfWork,
    principal: Principal,
    *,
    practice_id: PracticeId,
    patient_id: UUID,
    action: str,
    entity_type: str,
    entity_id: UUID,
    event: str,
    fields: list[str],
    payload: dict[str, Any] | None = None,
) -> None:
    """The audit row and the ``billing`` event of one change, in the caller's unit of work."""
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=practice_id,
            entity_type=entity_type,
            entity_id=entity_id,
            patient_id=patient_id,
            fields=fields,
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=await organization_id(principal, practice_id),
            practice_id=practice_id,
            topic=TOPIC,
            type=event,
            entity_id=entity_id,
            patient_id=patient_id,
            payload=actors.stamped(dict(payload or {}), principal),
        )
    )


def ledger_content(payment: Payment, allocated: Sequence[tuple[UUID, int]]) -> dict[str, Any]:
    return {
        "payment": str(payment.id),
        "patient": str(payment.patient_id),
        "kind": payment.kind,
        "method": payment.method,
        "amount": payment.amount_minor,
        "currency": payment.currency,
        "received_at": payment.received_at.astimezone(UTC).isoformat(),
        "refunds": str(payment.refunds_payment_id) if payment.refunds_payment_id else None,
        "appointment": str(payment.appointment_id) if payment.appointment_id else None,
        "allocations": [[str(i), a] for i, a in allocated],
    }


async def record_allocations(
    uow: UnitOfWork,
    principal: Principal,
    payment: Payment,
    wanted: Sequence[Allocation],
    *,
    at: datetime,
) -> list[tuple[UUID, int]]:
    """Allocate parts of ``payment``'s credit to invoices of its patient (checked, locked)."""
    pid = tenant_gate.practice_of(payment)
    done: list[tuple[UUID, int]] = []
    seen: set[UUID] = set()
    for part in wanted:
        if part.invoice_id in seen:
            raise ValidationFailed("Each invoice at most once.", field="allocations")
        seen.add(part.invoice_id)
        if part.amount.currency != payment.currency:
            raise ValidationFailed(
                f"The payment is in {payment.currency}, not {part.amount.currency}.",
                field="currency",
            )
        if part.amount.minor > payment.unallocated_minor:
            raise Conflict("More is allocated than the payment has left.", field="amount")
        invoice = await queries.invoice({pid}, part.invoice_id, connection=uow.connection)
        if invoice is None or str(invoice.patient_id) != str(payment.patient_id):
            raise NotFound("Invoice")
        await allocations.settle(
            uow, pid, part.invoice_id, part.amount.minor, currency=payment.currency
        )
        await PaymentAllocation(
            id=uuid4(),
            practice_id=pid,
            payment_id=payment.id,
            invoice_id=part.invoice_id,
            amount_minor=part.amount.minor,
            allocated_at=at,
            allocated_by_user_id=principal.user_id,
        ).save(using_db=uow.connection)
        payment.unallocated_minor -= part.amount.minor
        done.append((part.invoice_id, part.amount.minor))
    return done


async def oldest_first(uow: UnitOfWork, payment: Payment) -> list[Allocation]:
    """``money.allocate`` of the payment's credit over the patient's open invoices."""
    pid = tenant_gate.practice_of(payment)
    due = [
        i
        for i in await queries.open_invoices(pid, UUID(str(payment.patient_id)), uow.connection)
        if i.currency == payment.currency
    ]
    owed = [Money(allocations.owed(i), i.currency) for i in due]
    parts = allocate(Money(payment.unallocated_minor, payment.currency), owed)
    return [
        Allocation(UUID(str(i.id)), part) for i, part in zip(due, parts, strict=True) if part.minor
    ]


async def take(
    principal: Principal,
    *,
    patient_id: UUID,
    amount: Money,
    method: Method,
    allocations_: Sequence[Allocation] | None = None,
    card_token_: str | None = None,
    practitioner_id: UUID | None = None,
    note: str | None = None,
) -> Payment:
    """Take a payment; allocate it (explicitly, or oldest invoice first); the rest is credit."""
    if amount.minor <= 0:
        raise ValidationFailed("Give an amount greater than zero.", field="amount")
    token = card_token(method, card_token_)
    text = note_text(note)
    if allocations_ is not None and len(allocations_) > MAX_ALLOCATIONS:
        raise ValidationFailed(f"At most {MAX_ALLOCATIONS} allocations.", field="allocations")
    if allocations_ and sum(a.amount.minor for a in allocations_) > amount.minor:
        raise ValidationFailed("The allocations add up to more than the payment.", field="amount")
    patient = await patient_for_billing(principal, patient_id, Scope.BILLING_WRITE, "TAKE_PAYMENT")
    pid = tenant_gate.practice_of(patient)
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        if practitioner_id is not None:
            await _practitioner(uow, pid, practitioner_id)
        await check_reference(uow, token)
        payment = Payment(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            kind="PAYMENT",
            method=method.value,
            status="SUCCEEDED",
            currency=amount.currency,
            amount_minor=amount.minor,
            unallocated_minor=amount.minor,
            processor=processor_of(token),
            processor_reference=token,
            practitioner_id=practitioner_id,
            taken_by_user_id=principal.user_id,
            received_at=now,
        )
        payment.reason = sealing.seal(payment, "reason", text)  # type: ignore[assignment]
        await payment.save(using_db=uow.connection)
        wanted = (
            list(allocations_) if allocations_ is not None else await oldest_first(uow, payment)
        )
        done = await record_allocations(uow, principal, payment, wanted, at=now)
        await payment.save(using_db=uow.connection, update_fields=["unallocated_minor"])
        await ledger.append(
            uow, pid, kind="PAYMENT", entity_id=payment.id, content=ledger_content(payment, done)
        )
        await changed(
            uow,
            principal,
            practice_id=pid,
            patient_id=UUID(str(patient.id)),
            action="TAKE_PAYMENT",
            entity_type="Payment",
            entity_id=payment.id,
            event="PAYMENT_TAKEN",
            fields=["amount", "method", "allocations"],
            payload={"method": method.value, "invoices": [str(i) for i, _ in done]},
        )
    return payment


async def _practitioner(uow: UnitOfWork, practice_id: PracticeId, practitioner_id: UUID) -> None:
    from db.queries import practitioners

    if await practitioners.practitioner(practice_id, practitioner_id, uow.connection) is None:
        raise NotFound("Practitioner")


async def allocate_credit(
    principal: Principal, *, payment_id: UUID, invoice_id: UUID, amount: Money
) -> Payment:
    """Apply credit on account (the unallocated part of a payment or an applied deposit) to one
    of the same patient's open invoices."""
    if amount.minor <= 0:
        raise ValidationFailed("Give an amount greater than zero.", field="amount")
    found, patient = await found_payment(principal, payment_id, "ALLOCATE_CREDIT")
    pid = tenant_gate.practice_of(found)
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        payment = await queries.payment(
            {pid}, UUID(str(found.id)), connection=uow.connection, for_update=True
        )
        assert payment is not None
        usable = payment.kind == "PAYMENT" or payment.deposit_state == "APPLIED"
        if not usable or payment.status != "SUCCEEDED":
            raise Conflict(
                "Only a succeeded payment's credit can be allocated (apply a deposit with "
                "applyDeposit).",
                field="paymentId",
            )
        done = await record_allocations(
            uow, principal, payment, [Allocation(invoice_id, amount)], at=now
        )
        await payment.save(using_db=uow.connection, update_fields=["unallocated_minor"])
        await ledger.append(
            uow,
            pid,
            kind="ALLOCATION",
            entity_id=payment.id,
            content={"payment": str(payment.id), "allocations": [[str(i), a] for i, a in done]},
            at=now,
        )
        await changed(
            uow,
            principal,
            practice_id=pid,
            patient_id=UUID(str(patient.id)),
            action="ALLOCATE_CREDIT",
            entity_type="Payment",
            entity_id=payment.id,
            event="CREDIT_ALLOCATED",
            fields=["allocations"],
            payload={"invoices": [str(invoice_id)]},
        )
    return payment


async def allocations_of(payment: Payment) -> list[PaymentAllocation]:
    return await queries.allocations_of(tenant_gate.practice_of(payment), [UUID(str(payment.id))])


def reason_of(payment: Payment) -> str | None:
    return sealing.reveal(payment, "reason")
