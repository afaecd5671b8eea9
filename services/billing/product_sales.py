"""Retail sales from a practice's stock to a patient (aftercare skincare and the like): the stock
leaves through the one stock ledger as a SOLD movement, and the sale then waits to be invoiced —
``invoiceUninvoicedItems`` bills it once as a PRODUCT line, priced from the fee schedule in
force on the sale day, VAT by the fee's category (services/billing/uninvoiced.py).

A sale is all or nothing: every item's SOLD movement, its sale row, audit row and ``billing``
event (PRODUCT_SOLD) commit in one unit of work, so a quarantined, expired or short batch
refuses the whole sale (CONFLICT naming the item) and nothing changes. Selling needs
billing:write in the patient's practice (reception sells at the desk, without stock:write) and
a patient the caller may see; the batch must be the practice's own (another practice's answers
NOT_FOUND like a random id). A prescription-only product is never sold over the counter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from db.models import Batch, Product, ProductSale
from db.queries import aesthetic_stock as stock_queries
from db.queries import organizations as practice_queries
from db.uow import unit_of_work
from services import tenant_gate
from services.aesthetics import stock_ledger
from services.aesthetics.stock_ledger import Move, MovementKind
from services.billing.fees import recorded
from services.billing.nhs_courses import account_patient
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal

MAX_ITEMS = 50
MAX_QUANTITY = 1000  # of one product in one sale: more is a typo
MILLI = 1000  # stock amounts are thousandths of the product's unit


@dataclass(frozen=True, slots=True)
class SaleItem:
    batch_id: UUID
    quantity: int  # whole units of the product (items, or ml)


@dataclass(frozen=True, slots=True)
class SaleView:
    sale: ProductSale
    product: Product
    batch: Batch


async def sell_products(
    principal: Principal,
    *,
    patient_id: UUID,
    items: Sequence[SaleItem],
    sold_on: date | None = None,
) -> list[SaleView]:
    """Sell ``items`` to the patient on ``sold_on`` (default: the practice's today; never in the
    future). Returns one sale per item, in order."""
    patient = await account_patient(
        principal, patient_id, Scope.BILLING_WRITE, "CREATE product_sale"
    )
    pid = tenant_gate.practice_of(patient)
    practice = await practice_queries.practice([pid], pid)
    if practice is None:
        raise NotFound("Practice")
    zone = ZoneInfo(str(practice.timezone))
    now = datetime.now(UTC)
    today = now.astimezone(zone).date()
    day = sold_on or today
    if day > today:
        raise ValidationFailed("A sale is not dated in the future.", field="soldOn")
    if not 1 <= len(items) <= MAX_ITEMS:
        raise ValidationFailed(f"Sell 1 to {MAX_ITEMS} items at once.", field="items")
    organization = tenant_gate.organization_of(practice)
    found: list[tuple[SaleItem, Batch, Product]] = []
    for n, item in enumerate(items):
        if not 1 <= item.quantity <= MAX_QUANTITY:
            raise ValidationFailed(
                f"A quantity is 1 to {MAX_QUANTITY}.", field=f"items.{n}.quantity"
            )
        batch = await stock_queries.batch(pid, item.batch_id)
        if batch is None:
            raise NotFound("Batch")
        product = await stock_queries.product(organization, UUID(str(batch.product_id)))
        if product is None:  # a practice's batch is always of its organisation's product
            raise NotFound("Batch")
        if product.prescription_only:
            raise Conflict(
                "A prescription-only product is not sold over the counter.",
                field=f"items.{n}.batchId",
            )
        found.append((item, batch, product))
    # A sale entered later keeps its own day on the stock movement too.
    at = now if day == today else datetime.combine(day, time(12), zone)
    views: list[SaleView] = []
    async with unit_of_work() as uow:
        for n, (item, batch, product) in enumerate(found):
            try:
                movement = await stock_ledger.record(
                    uow,
                    pid,
                    UUID(str(batch.id)),
                    Move(MovementKind.SOLD, item.quantity * MILLI, at, principal.user_id),
                    field=f"items.{n}.batchId",
                    on=day,
                )
            except Conflict as refused:
                if refused.field == "amount":  # not that much on hand
                    raise Conflict(refused.message, field=f"items.{n}.quantity") from None
                raise
            sale = ProductSale(
                id=uuid4(),
                practice_id=pid,
                patient_id=patient.id,
                product_id=product.id,
                batch_id=batch.id,
                movement_id=movement.id,
                quantity=item.quantity,
                sold_on=day,
                sold_by_user_id=principal.user_id,
            )
            await sale.save(using_db=uow.connection)
            await recorded(
                uow,
                principal,
                pid,
                action="CREATE product_sale",
                entity_type="ProductSale",
                entity_id=sale.id,
                event="PRODUCT_SOLD",
                fields=["product", "batch", "quantity", "soldOn"],
                patient_id=UUID(str(patient.id)),
                payload={
                    "productId": str(product.id),
                    "batchId": str(batch.id),
                    "quantity": item.quantity,
                },
            )
            views.append(SaleView(sale, product, batch))
    return views
