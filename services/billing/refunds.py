"""Refunds: money returned to a patient, always to the method it came by.

A refund is a Payment row of kind REFUND naming the payment it returns (``refunds_payment_id``),
with the original method, the reason (encrypted) and, above the practice's limit
(``BillingSettings.refund_approval_limit_minor``), the approver: a practice admin (billing:write
and practice:write in the practice) other than the person refunding, who proves the approval on
the refunding screen with their current authenticator code (replays refused; failures count
towards the same lock-out as sign-in and are audited).

What a refund may return is the payment's amount less its earlier refunds (CONFLICT beyond).
The money comes first out of the payment's credit on account; what is still needed is taken back
from the invoices the payment settled, the most recently allocated first, each invoice's paid
amount and status moving back with it (a negative allocation row, never an edit). A deposit is
refunded by ``services.billing.deposits`` (state REFUNDED) through :func:`record`.

One unit of work: the refund row, the un-allocations, a REFUND ledger entry, the audit row and a
``PAYMENT_REFUNDED`` event. The money side (:func:`reverse`) is the same when the processor
takes money back without a person: a lost card dispute (``services.billing.stripe_disputes``)
is a REFUND row chained as CHARGEBACK.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import Payment, PaymentAllocation
from db.queries import payments as queries
from db.queries import users
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.auth import mfa, throttle
from services.billing import allocations, ledger
from services.billing import settings as billing_settings
from services.billing.money import Money
from services.billing.payments import changed, found_payment, ledger_content, note_text
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import sealing
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal


async def _check_approver(
    principal: Principal,
    pid: PracticeId,
    approver_user_id: UUID | None,
    approver_code: str | None,
    amount: int,
) -> None:
    limit = (await billing_settings.of(pid)).refund_approval_limit_minor
    if amount <= limit:
        return
    if approver_user_id is None:
        raise PolicyDenied(
            f"A refund above {limit} (minor units) needs a practice admin's approval.",
        )
    if approver_user_id == principal.user_id:
        raise ValidationFailed(
            "The approver must be someone other than the person refunding.",
            field="approverUserId",
        )
    roles = await queries.roles_in_practice(pid, approver_user_id)
    scopes: set[Scope] = set()
    for role in roles:
        scopes |= ROLE_SCOPES.get(Role(role), frozenset())
    if not {Scope.BILLING_WRITE, Scope.PRACTICE_WRITE} <= scopes:
        raise ValidationFailed(
            "The approver must be a practice admin of this practice.", field="approverUserId"
        )
    await _approver_present(principal, pid, approver_user_id, approver_code or "")


async def _approver_present(
    principal: Principal, pid: PracticeId, approver_user_id: UUID, code: str
) -> None:
    """The approver's own second factor, typed on this screen: a named approver is not enough."""
    key = f"approver:{approver_user_id}"
    await throttle.ensure_not_locked(key)
    approver = await users.by_id(approver_user_id)
    if approver is None or not approver.mfa_enabled or not await mfa.verify_totp(approver, code):
        await throttle.record_failure(key)
        await audit.record_denied(principal, action="APPROVE refund", practice_id=pid)
        raise PolicyDenied("The approver's authenticator code is not valid.")
    await throttle.clear(key)


@dataclass(frozen=True, slots=True)
class Reversal:
    """Money going back out of a payment: how much, why, who (None: the processor told us),
    and what names it (a processor's reference; the ledger kind it is chained as)."""

    amount: int
    reason: str | None
    by_user_id: UUID | None = None
    approver_user_id: UUID | None = None
    processor: str | None = None
    reference: str | None = None
    ledger_kind: str = "REFUND"
    at: datetime | None = None


async def refundable(uow: UnitOfWork, original: Payment) -> int:
    """What could go back out of ``original`` now: what is left to refund, as far as the
    payment still holds it (its credit on account and what it settles on invoices)."""
    pid = tenant_gate.practice_of(original)
    left = original.amount_minor - await queries.refunded_total(pid, original.id, uow.connection)
    settles = await queries.net_allocations(pid, UUID(str(original.id)), uow.connection)
    held = int(original.unallocated_minor) + sum(n.amount_minor for n in settles)
    return max(0, min(int(left), held))


async def reverse(
    uow: UnitOfWork, original: Payment, reversal: Reversal
) -> tuple[Payment, list[tuple[UUID, int]]]:
    """The REFUND row for ``reversal`` of ``original`` (locked by the caller) in the caller's
    unit of work, with its ledger entry: limits checked, credit used first, then invoices
    un-allocated latest first. Returns the row and what came off each invoice (negative); the
    audit row and event are the caller's (a person's, or the processor's)."""
    pid = tenant_gate.practice_of(original)
    moment = reversal.at or datetime.now(UTC)
    amount = reversal.amount
    already = await queries.refunded_total(pid, original.id, uow.connection)
    if amount > original.amount_minor - already:
        raise Conflict(
            f"Only {original.amount_minor - already} (minor units) of this payment is left to "
            "refund.",
            field="amount",
        )
    from_credit = min(amount, original.unallocated_minor)
    original.unallocated_minor -= from_credit
    needed = amount - from_credit
    taken: list[tuple[UUID, int]] = []
    for net in await queries.net_allocations(pid, UUID(str(original.id)), uow.connection):
        if needed == 0:
            break
        back = min(needed, net.amount_minor)
        await allocations.settle(uow, pid, net.invoice_id, -back)
        await PaymentAllocation(
            id=uuid4(),
            practice_id=pid,
            payment_id=original.id,
            invoice_id=net.invoice_id,
            amount_minor=-back,
            allocated_at=moment,
            allocated_by_user_id=reversal.by_user_id,
        ).save(using_db=uow.connection)
        taken.append((net.invoice_id, -back))
        needed -= back
    if needed:
        raise Conflict("The payment no longer holds that much to refund.", field="amount")
    await original.save(using_db=uow.connection, update_fields=["unallocated_minor"])
    refund = Payment(
        id=uuid4(),
        practice_id=pid,
        patient_id=original.patient_id,
        kind="REFUND",
        method=original.method,
        status="SUCCEEDED",
        currency=original.currency,
        amount_minor=amount,
        unallocated_minor=0,
        refunds_payment_id=original.id,
        invoice_id=original.invoice_id,
        appointment_id=original.appointment_id,
        approved_by_user_id=reversal.approver_user_id,
        practitioner_id=original.practitioner_id,
        processor=reversal.processor,
        processor_reference=reversal.reference,
        card_brand=original.card_brand,
        card_last4=original.card_last4,
        taken_by_user_id=reversal.by_user_id,
        received_at=moment,
    )
    refund.reason = sealing.seal(refund, "reason", reversal.reason)  # type: ignore[assignment]
    await refund.save(using_db=uow.connection)
    await ledger.append(
        uow,
        pid,
        kind=reversal.ledger_kind,
        entity_id=refund.id,
        content=ledger_content(refund, taken),
        at=moment,
    )
    return refund, taken


async def record(
    uow: UnitOfWork,
    principal: Principal,
    original: Payment,
    amount: int,
    *,
    reason: str | None,
    approver_user_id: UUID | None = None,
    at: datetime | None = None,
) -> Payment:
    """A person's refund of ``amount`` of ``original`` (locked by the caller) in the caller's
    unit of work (:func:`reverse`), audited and evented as theirs."""
    pid = tenant_gate.practice_of(original)
    refund, taken = await reverse(
        uow,
        original,
        Reversal(amount, reason, principal.user_id, approver_user_id, at=at),
    )
    await changed(
        uow,
        principal,
        practice_id=pid,
        patient_id=UUID(str(original.patient_id)),
        action="REFUND_PAYMENT",
        entity_type="Payment",
        entity_id=refund.id,
        event="PAYMENT_REFUNDED",
        fields=["amount", "reason", "approverUserId"],
        payload={"refunds": str(original.id), "invoices": [str(i) for i, _ in taken]},
    )
    return refund


async def refund(
    principal: Principal,
    *,
    payment_id: UUID,
    amount: Money,
    reason: str,
    approver_user_id: UUID | None = None,
    approver_code: str | None = None,
) -> Payment:
    if amount.minor <= 0:
        raise ValidationFailed("Give an amount greater than zero.", field="amount")
    text = note_text(reason, "reason")
    if text is None:
        raise ValidationFailed("Give a reason for the refund.", field="reason")
    found, _ = await found_payment(principal, payment_id, "REFUND_PAYMENT")
    if amount.currency != found.currency:
        raise ValidationFailed(
            f"The payment was in {found.currency}, not {amount.currency}.", field="currency"
        )
    if found.kind != "PAYMENT" or found.status != "SUCCEEDED":
        raise Conflict(
            "Only a succeeded payment can be refunded (a deposit: refundDeposit).",
            field="paymentId",
        )
    pid = tenant_gate.practice_of(found)
    await _check_approver(principal, pid, approver_user_id, approver_code, amount.minor)
    async with unit_of_work() as uow:
        locked = await queries.payment(
            {pid}, UUID(str(found.id)), connection=uow.connection, for_update=True
        )
        if locked is None:
            raise NotFound("Payment")
        return await record(
            uow, principal, locked, amount.minor, reason=text, approver_user_id=approver_user_id
        )
