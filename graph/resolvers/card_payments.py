"""Online card payments: parse the input, call the service, map back."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.schema.card_payments import CreatePaymentIntentInput, PaymentIntentPayload
from services.billing import card_payments


@strawberry.type
class CardPaymentMutations:
    @strawberry.mutation(
        description="Start a card payment through the payment processor for an issued invoice "
        "or a booking's deposit (billing:write in the practice, or the patient in the portal "
        "for their own invoice or booking). Records a PENDING payment; the processor's webhook "
        "makes it SUCCEEDED or FAILED."
    )
    async def create_payment_intent(
        self, info: Info, input: CreatePaymentIntentInput
    ) -> PaymentIntentPayload | None:
        started = await card_payments.create_payment_intent(
            info.context.principal,
            invoice_id=input.optional_ids.invoice_id,
            appointment_id=input.optional_ids.appointment_id,
            amount=None if input.amount is None else input.amount.to_money(),
        )
        return PaymentIntentPayload.from_started(started)
