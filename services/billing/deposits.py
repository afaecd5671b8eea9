"""Deposits taken at booking: held as credit for one appointment, then applied, forfeited or
refunded.

- ``take`` (billing:write): a Payment of kind DEPOSIT, ``deposit_state`` HELD, the whole amount
  unallocated, naming the appointment (BOOKED or CONFIRMED only). Ledger kind DEPOSIT.
- ``apply``: when the appointment's invoice is issued, the deposit settles it (up to what it
  owes; anything left over stays as credit on account) and becomes APPLIED.
- Cancelling the appointment or marking it DID_NOT_ATTEND settles every HELD deposit in the
  same unit of work as the status change (``after_cancellation`` / ``after_missed``, called by
  ``services.scheduling``): under the practice's policy FORFEIT_LATE_OR_DNA a late cancellation
  (inside the diary's late-cancel window) or a missed appointment FORFEITS it (the practice
  keeps it: it leaves the patient's credit); any other cancellation, or any cancellation under
  ALWAYS_REFUND, REFUNDS it to the original method (a REFUND payment row, ledger kind REFUND).

Every move has its ledger entry, audit row and ``billing`` event (DEPOSIT_TAKEN,
DEPOSIT_APPLIED, DEPOSIT_FORFEITED, DEPOSIT_REFUNDED).
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import Appointment, Payment
from db.queries import payments as queries
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.billing import allocations, ledger, refunds
from services.billing import settings as billing_settings
from services.billing.money import Money
from services.billing.payments import (
    Allocation,
    Method,
    card_token,
    changed,
    check_reference,
    found_payment,
    ledger_content,
    patient_for_billing,
    processor_of,
    record_allocations,
)
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal

BOOKABLE = ("BOOKED", "CONFIRMED")


async def take(
    principal: Principal,
    *,
    appointment_id: UUID,
    amount: Money,
    method: Method,
    card_token_: str | None = None,
) -> Payment:
    if amount.minor <= 0:
        raise ValidationFailed("Give an amount greater than zero.", field="amount")
    token = card_token(method, card_token_)
    found = await queries.appointment_practice(
        principal.practices_with(Scope.BILLING_WRITE)
        | principal.practices_with(Scope.BILLING_READ),
        appointment_id,
    )
    if found is None or found.patient_id is None:
        raise NotFound("Appointment")
    try:
        patient = await patient_for_billing(
            principal, UUID(str(found.patient_id)), Scope.BILLING_WRITE, "TAKE_DEPOSIT"
        )
    except NotFound:
        raise NotFound("Appointment") from None
    pid = tenant_gate.practice_of(patient)
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        appointment = await queries.appointment(pid, appointment_id, uow.connection)
        if appointment is None:
            raise NotFound("Appointment")
        if appointment.status not in BOOKABLE:
            raise Conflict(
                f"A {appointment.status} appointment cannot take a deposit.",
                field="appointmentId",
            )
        await check_reference(uow, token)
        deposit = Payment(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            kind="DEPOSIT",
            method=method.value,
            status="SUCCEEDED",
            currency=amount.currency,
            amount_minor=amount.minor,
            unallocated_minor=amount.minor,
            appointment_id=appointment_id,
            deposit_state="HELD",
            processor=processor_of(token),
            processor_reference=token,
            practitioner_id=appointment.practitioner_id,
            taken_by_user_id=principal.user_id,
            received_at=now,
        )
        await deposit.save(using_db=uow.connection)
        await ledger.append(
            uow, pid, kind="DEPOSIT", entity_id=deposit.id, content=ledger_content(deposit, [])
        )
        await changed(
            uow,
            principal,
            practice_id=pid,
            patient_id=UUID(str(patient.id)),
            action="TAKE_DEPOSIT",
            entity_type="Payment",
            entity_id=deposit.id,
            event="DEPOSIT_TAKEN",
            fields=["amount", "method", "appointmentId"],
            payload={"appointment": str(appointment_id), "state": "HELD"},
        )
    return deposit


async def apply(principal: Principal, *, payment_id: UUID, invoice_id: UUID) -> Payment:
    """Settle the appointment's invoice from a HELD deposit (up to what the invoice owes)."""
    found, patient = await found_payment(principal, payment_id, "APPLY_DEPOSIT", entity="Deposit")
    if found.kind != "DEPOSIT":
        raise NotFound("Deposit")
    pid = tenant_gate.practice_of(found)
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        deposit = await queries.payment(
            {pid}, UUID(str(found.id)), connection=uow.connection, for_update=True
        )
        assert deposit is not None
        if deposit.deposit_state != "HELD":
            raise Conflict(f"The deposit is {deposit.deposit_state}.", field="paymentId")
        invoice = await queries.invoice({pid}, invoice_id, connection=uow.connection)
        if invoice is None or str(invoice.patient_id) != str(deposit.patient_id):
            raise NotFound("Invoice")
        if invoice.appointment_id is not None and str(invoice.appointment_id) != str(
            deposit.appointment_id
        ):
            raise Conflict("The invoice is for another appointment.", field="invoiceId")
        owed = allocations.owed(invoice)
        part = Money(min(owed, deposit.unallocated_minor), deposit.currency)
        done = (
            await record_allocations(
                uow, principal, deposit, [Allocation(invoice_id, part)], at=now
            )
            if part.minor > 0
            else []
        )
        if not done:
            raise Conflict("The invoice owes nothing.", field="invoiceId")
        deposit.deposit_state, deposit.deposit_settled_at = "APPLIED", now
        await deposit.save(
            using_db=uow.connection,
            update_fields=["unallocated_minor", "deposit_state", "deposit_settled_at"],
        )
        await ledger.append(
            uow,
            pid,
            kind="DEPOSIT_APPLIED",
            entity_id=deposit.id,
            content={"deposit": str(deposit.id), "allocations": [[str(i), a] for i, a in done]},
            at=now,
        )
        await changed(
            uow,
            principal,
            practice_id=pid,
            patient_id=UUID(str(patient.id)),
            action="APPLY_DEPOSIT",
            entity_type="Payment",
            entity_id=deposit.id,
            event="DEPOSIT_APPLIED",
            fields=["depositState", "allocations"],
            payload={"invoices": [str(invoice_id)], "state": "APPLIED"},
        )
    return deposit


async def _settle(
    uow: UnitOfWork, principal: Principal, appointment: Appointment, *, forfeit_by_policy: bool
) -> None:
    pid = tenant_gate.practice_of(appointment)
    held = await queries.held_deposits(pid, UUID(str(appointment.id)), uow.connection)
    if not held:
        return
    policy = (await billing_settings.of(pid)).deposit_forfeit_policy
    forfeit = forfeit_by_policy and policy is billing_settings.ForfeitPolicy.FORFEIT_LATE_OR_DNA
    now = datetime.now(UTC)
    for deposit in held:
        patient_id = UUID(str(deposit.patient_id))
        if forfeit:
            kept = deposit.unallocated_minor
            deposit.unallocated_minor = 0
            deposit.deposit_state, deposit.deposit_settled_at = "FORFEITED", now
            await deposit.save(
                using_db=uow.connection,
                update_fields=["unallocated_minor", "deposit_state", "deposit_settled_at"],
            )
            await ledger.append(
                uow,
                pid,
                kind="DEPOSIT_FORFEITED",
                entity_id=deposit.id,
                content={"deposit": str(deposit.id), "amount": kept, "currency": deposit.currency},
                at=now,
            )
            await changed(
                uow,
                principal,
                practice_id=pid,
                patient_id=patient_id,
                action="FORFEIT_DEPOSIT",
                entity_type="Payment",
                entity_id=deposit.id,
                event="DEPOSIT_FORFEITED",
                fields=["depositState"],
                payload={"appointment": str(appointment.id), "state": "FORFEITED"},
            )
            continue
        await refunds.record(
            uow,
            principal,
            deposit,
            deposit.unallocated_minor,
            reason="Deposit returned: the appointment was cancelled in good time.",
            at=now,
        )
        deposit.deposit_state, deposit.deposit_settled_at = "REFUNDED", now
        await deposit.save(
            using_db=uow.connection, update_fields=["deposit_state", "deposit_settled_at"]
        )
        await changed(
            uow,
            principal,
            practice_id=pid,
            patient_id=patient_id,
            action="REFUND_DEPOSIT",
            entity_type="Payment",
            entity_id=deposit.id,
            event="DEPOSIT_REFUNDED",
            fields=["depositState"],
            payload={"appointment": str(appointment.id), "state": "REFUNDED"},
        )


async def after_cancellation(
    uow: UnitOfWork, principal: Principal, appointment: Appointment
) -> None:
    """Called by ``services.scheduling.booking.cancel`` in its unit of work."""
    await _settle(uow, principal, appointment, forfeit_by_policy=appointment.late_cancellation)


async def after_missed(uow: UnitOfWork, principal: Principal, appointment: Appointment) -> None:
    """Called by ``services.scheduling.workflow.set_status`` for DID_NOT_ATTEND."""
    await _settle(uow, principal, appointment, forfeit_by_policy=True)
