"""Queries for card payments taken through a processor and the processor's webhook deliveries.

Client-facing reads take the caller's practices first. The webhook has no caller: it finds a
payment by the processor's own id (unique per processor), and the practice comes from that row.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment, Invoice, Payment, PaymentAllocation, WebhookDelivery
from db.tenancy import PracticeId


async def invoice(allowed: Collection[PracticeId], invoice_id: UUID) -> Invoice | None:
    if not allowed:
        return None
    return await Invoice.get_or_none(id=invoice_id, practice_id__in=list(allowed))


async def appointment(allowed: Collection[PracticeId], appointment_id: UUID) -> Appointment | None:
    if not allowed:
        return None
    return await Appointment.get_or_none(id=appointment_id, practice_id__in=list(allowed))


async def locked_invoice(
    practice_id: PracticeId, invoice_id: UUID, connection: BaseDBAsyncClient
) -> Invoice | None:
    """The invoice row-locked for this transaction (PostgreSQL; SQLite holds the writer lock)."""
    query = Invoice.filter(id=invoice_id, practice_id=practice_id)
    return await query.using_db(connection).select_for_update().first()


async def pending_intents_minor(
    practice_id: PracticeId,
    invoice_id: UUID,
    since: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> int:
    """What the invoice's processor payments still PENDING, started at or after ``since``, are
    for (succeeded ones are in the invoice's paid amount; failed and cancelled ones pay nothing)."""
    rows = await Payment.filter(
        practice_id=practice_id,
        invoice_id=invoice_id,
        kind="PAYMENT",
        status="PENDING",
        processor__isnull=False,
        received_at__gte=since,
    ).using_db(connection)
    return sum(int(r.amount_minor) for r in rows)


async def locked_payment_by_reference(
    processor: str, reference: str, connection: BaseDBAsyncClient
) -> Payment | None:
    """The processor's payment (``pi_…``), row-locked: two events for one intent apply in turn."""
    query = Payment.filter(processor=processor, processor_reference=reference, kind__not="REFUND")
    return await query.using_db(connection).select_for_update().first()


async def refund_by_reference(
    processor: str, reference: str, connection: BaseDBAsyncClient
) -> Payment | None:
    return await Payment.get_or_none(
        processor=processor, processor_reference=reference, using_db=connection
    )


async def refunded_minor(
    practice_id: PracticeId, payment_id: UUID, connection: BaseDBAsyncClient
) -> int:
    rows = await Payment.filter(
        practice_id=practice_id, refunds_payment_id=payment_id, kind="REFUND"
    ).using_db(connection)
    return sum(int(r.amount_minor) for r in rows)


async def allocations(
    practice_id: PracticeId, payment_id: UUID, connection: BaseDBAsyncClient
) -> list[PaymentAllocation]:
    return await (
        PaymentAllocation.filter(practice_id=practice_id, payment_id=payment_id)
        .using_db(connection)
        .order_by("allocated_at")
    )


async def dispute_closed(
    provider: str, payment_id: UUID, closed_type: str, connection: BaseDBAsyncClient
) -> bool:
    """Whether a verified event closing a dispute of this payment was applied or recorded
    already (a dispute's ``created`` may arrive after its ``closed``)."""
    query = WebhookDelivery.filter(
        provider=provider,
        payment_id=payment_id,
        type=closed_type,
        event_id__isnull=False,
        outcome__in=("PROCESSED", "IGNORED"),
    )
    return await query.using_db(connection).exists()


async def delivery(provider: str, event_id: str) -> WebhookDelivery | None:
    return await WebhookDelivery.get_or_none(provider=provider, event_id=event_id)


async def deliveries(provider: str, limit: int = 100) -> list[WebhookDelivery]:
    return await WebhookDelivery.filter(provider=provider).order_by("-received_at").limit(limit)
