"""Live billing events: a patient's account (``accountChanged``) and a practice's billing
(``billingChanged``), from every ``billing`` topic event — payments, refunds, deposits, credit
allocations, cash counts, and the invoice events (INVOICE_*) the invoices work emits.

Rendered once per permission group from the stored event; an account event carries the
patient's balance after the change (one aggregate, ``db.queries.payments.account_totals``), so a
reception board can show "owes £40" without asking again. ``graph.schema.event_visibility``
then drops an event about a patient the subscriber may not see, exactly like the account read
(a partner app with billing:read hears only of patients sharing data with it, decided per
event), and keeps practice-level events (cash counts) for staff.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from uuid import UUID

import strawberry

from graph.schema.event_changes import EventActor, actor
from graph.schema.money import MoneyType
from realtime.envelopes import StoredEvent
from services.billing import live
from services.billing.money import Money


@strawberry.type(
    description="One change to a patient's account: `type` is what happened (PAYMENT_TAKEN, "
    "PAYMENT_REFUNDED, CREDIT_ALLOCATED, DEPOSIT_TAKEN/APPLIED/FORFEITED/REFUNDED, card "
    "payments' PAYMENT_STARTED/SUCCEEDED/FAILED/CANCELLED, PAYMENT_DISPUTED, "
    "PAYMENT_DISPUTE_WON/LOST, PAYMENT_CHARGED_BACK, INVOICE_*), with the balance after it."
)
class AccountEvent:
    type: str = strawberry.field(description="What happened.")
    sequence: int = strawberry.field(description="Pass as `since` to resume after this event.")
    occurred_at: datetime = strawberry.field(description="When it was committed.")
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    entity_id: strawberry.ID | None = strawberry.field(
        description="The payment, deposit, refund or invoice changed."
    )
    balance: MoneyType | None = strawberry.field(
        description="The patient's balance after the change (positive: owes)."
    )
    actor: EventActor | None = strawberry.field(description="Who made the change.")


@strawberry.type(
    description="One change to a practice's billing: any account event (with its patient) or a "
    "practice-level one (e.g. CASH_RECONCILED, BILLING_SETTINGS_CHANGED)."
)
class BillingEvent:
    type: str = strawberry.field(description="What happened.")
    sequence: int = strawberry.field(description="Pass as `since` to resume after this event.")
    occurred_at: datetime = strawberry.field(description="When it was committed.")
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    patient_id: strawberry.ID | None = strawberry.field(
        description="The patient whose account changed; null for practice-level events."
    )
    entity_id: strawberry.ID | None = strawberry.field(description="The record changed.")
    actor: EventActor | None = strawberry.field(description="Who made the change.")


def _id(value: object) -> strawberry.ID | None:
    return strawberry.ID(str(value)) if value is not None else None


def account_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> AccountEvent | None:
        if event.patient_id is None:
            return None
        balance = await live.balance_of(event)
        return AccountEvent(
            type=event.type,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            practice_id=strawberry.ID(str(event.practice_id)),
            patient_id=strawberry.ID(str(event.patient_id)),
            entity_id=_id(event.entity_id),
            balance=MoneyType.from_money(Money(*balance)) if balance else None,
            actor=actor(event),
        )

    return render


def billing_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> BillingEvent | None:
        return BillingEvent(
            type=event.type,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            practice_id=strawberry.ID(str(event.practice_id)),
            patient_id=_id(event.patient_id),
            entity_id=_id(event.entity_id),
            actor=actor(event),
        )

    return render


def for_account_of(patient_id: UUID) -> Callable[[object], bool]:
    wanted = str(patient_id)
    return lambda item: isinstance(item, AccountEvent) and item.patient_id == wanted


def any_billing(item: object) -> bool:
    return isinstance(item, BillingEvent)


__all__ = [
    "AccountEvent",
    "BillingEvent",
    "account_renderer",
    "any_billing",
    "billing_renderer",
    "for_account_of",
]
