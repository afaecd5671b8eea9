"""Moving an invoice's paid amount from a payment: the payment's currency checked against the
invoice's, then ``services.billing.invoices.settle`` (the one place an invoice's paid amount and
status change: DRAFT, VOID and credit notes refused, never more than is owed, never below zero).
"""

from __future__ import annotations

from uuid import UUID

from db.models import Invoice
from db.queries import payments as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services.billing import invoices
from services.errors import NotFound, ValidationFailed


def owed(invoice: Invoice) -> int:
    """What an issued invoice still owes: total less payments and credit notes against it."""
    return int(invoice.total_minor) - int(invoice.paid_minor) - int(invoice.credited_minor)


async def settle(
    uow: UnitOfWork,
    practice_id: PracticeId,
    invoice_id: UUID,
    delta_minor: int,
    *,
    currency: str | None = None,
) -> Invoice:
    if currency is not None:
        found = await queries.invoice({practice_id}, invoice_id, connection=uow.connection)
        if found is None:
            raise NotFound("Invoice")
        if currency != found.currency:
            raise ValidationFailed(
                f"The invoice is in {found.currency}, the payment in {currency}.",
                field="currency",
            )
    return await invoices.settle(uow, practice_id, invoice_id, delta_minor)
