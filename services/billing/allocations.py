"""Moving an invoice's paid amount and status (until ``services.billing.invoices.settle`` lands
from the invoices work; the two fold into one at merge).

``settle`` locks the invoice row in the caller's unit of work, refuses DRAFT and VOID invoices
(for money coming in), a currency other than the invoice's, paying more than is owed and taking
back more than was paid; then sets ``paid_minor`` and the status: PAID when paid equals the
total, PARTIALLY_PAID when part is paid, ISSUED when nothing is.
"""

from __future__ import annotations

from uuid import UUID

from db.models import Invoice
from db.queries import payments as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services.errors import Conflict, NotFound, ValidationFailed


async def settle(
    uow: UnitOfWork,
    practice_id: PracticeId,
    invoice_id: UUID,
    delta_minor: int,
    *,
    currency: str | None = None,
    field: str = "invoiceId",
) -> Invoice:
    found = await queries.invoice(
        {practice_id}, invoice_id, connection=uow.connection, for_update=True
    )
    if found is None or found.kind != "INVOICE":
        raise NotFound("Invoice")
    if currency is not None and currency != found.currency:
        raise ValidationFailed(
            f"The invoice is in {found.currency}, the payment in {currency}.", field="currency"
        )
    if delta_minor > 0 and found.status not in queries.OPEN:
        raise Conflict(f"A {found.status} invoice cannot take a payment.", field=field)
    if found.status == "DRAFT":
        raise Conflict("A DRAFT invoice has no payments.", field=field)
    paid = found.paid_minor + delta_minor
    if paid > found.total_minor:
        owed = found.total_minor - found.paid_minor
        raise Conflict(f"The invoice owes only {owed} (minor units).", field="amount")
    if paid < 0:
        raise Conflict("More would be taken back than was paid.", field="amount")
    found.paid_minor = paid
    if found.status != "VOID":
        if paid == found.total_minor:
            found.status = "PAID"
        elif paid > 0:
            found.status = "PARTIALLY_PAID"
        else:
            found.status = "ISSUED"
    await found.save(using_db=uow.connection, update_fields=["paid_minor", "status", "updated_at"])
    return found
