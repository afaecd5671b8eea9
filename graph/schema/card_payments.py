"""GraphQL shapes for starting an online card payment through the payment processor."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.ids import IdFields
from graph.schema.money import MoneyInput, MoneyType
from services.billing import card_payments
from services.billing.money import Money


@strawberry.input(
    description="Start a card payment: for an issued invoice (default amount: what is still "
    "owed) or a deposit for a booking (amount required). Give exactly one of the two ids."
)
class CreatePaymentIntentInput(IdFields):
    invoice_id: strawberry.ID | None = strawberry.field(
        default=None, description="The issued invoice to pay."
    )
    appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The booking a deposit is taken for."
    )
    amount: MoneyInput | None = strawberry.field(
        default=None,
        description="Part of what is owed (invoice), or the deposit; minor units, positive.",
    )


@strawberry.type(
    description="A PENDING card payment and what the payer's browser needs to confirm it with "
    "the processor. The card details go to the processor only, never to this server."
)
class PaymentIntentPayload:
    payment_id: strawberry.ID = strawberry.field(description="The recorded (PENDING) payment.")
    kind: str = strawberry.field(description="PAYMENT for an invoice, DEPOSIT for a booking.")
    status: str = strawberry.field(description="PENDING until the processor confirms it.")
    amount: MoneyType = strawberry.field(description="The amount being charged.")
    processor: str = strawberry.field(description="The processor, e.g. STRIPE.")
    processor_reference: str = strawberry.field(description="The processor's intent id (pi_…).")
    client_secret: str = strawberry.field(
        description="The intent's client secret for the payer's browser (Stripe.js); show it to "
        "no one else and do not store it."
    )
    created_at: datetime = strawberry.field(description="When the payment was started.")

    @classmethod
    def from_started(cls, started: card_payments.StartedPayment) -> PaymentIntentPayload:
        p = started.payment
        return cls(
            payment_id=strawberry.ID(str(p.id)),
            kind=p.kind,
            status=p.status,
            amount=MoneyType.from_money(Money(int(p.amount_minor), p.currency)),
            processor=p.processor or "",
            processor_reference=p.processor_reference or "",
            client_secret=started.client_secret,
            created_at=p.received_at,
        )
