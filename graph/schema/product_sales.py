"""Retail product sales as the graph shows them: what was sold to a patient, from which lot,
how many and on which day. Only a ``sellProducts`` payload returns them (billing:write in the
patient's practice); the sale is billed later by ``invoiceUninvoicedItems`` as a PRODUCT line.
"""

from __future__ import annotations

from datetime import date

import strawberry

from graph.ids import IdFields
from graph.schema.aesthetic_stock import AestheticProduct
from services.billing import product_sales


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One product sold to a patient from one batch.")
class ProductSale:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient it was sold to.")
    product: AestheticProduct = strawberry.field(description="The product sold.")
    batch_id: strawberry.ID = strawberry.field(description="The batch it came from.")
    lot_number: str = strawberry.field(description="That batch's lot number.")
    quantity: int = strawberry.field(description="How many, in the product's unit.")
    sold_on: date = strawberry.field(description="The practice's day of the sale.")
    sold_by_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who sold it."
    )

    @classmethod
    def from_view(cls, view: product_sales.SaleView) -> ProductSale:
        row = view.sale
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            product=AestheticProduct.from_model(view.product),
            batch_id=_id(row.batch_id),
            lot_number=view.batch.lot_number,
            quantity=row.quantity,
            sold_on=row.sold_on,
            sold_by_user_id=_id(row.sold_by_user_id) if row.sold_by_user_id else None,
        )


@strawberry.input(description="One product to sell: a batch of the practice and how many.")
class ProductSaleItemInput(IdFields):
    batch_id: strawberry.ID = strawberry.field(
        description="The batch (lot) it comes from: the practice's own, usable on the day."
    )
    quantity: int = strawberry.field(description="How many, in the product's unit (1-1000).")


@strawberry.input(description="Products sold to a patient at once (all or nothing).")
class SellProductsInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient buying.")
    items: list[ProductSaleItemInput] = strawberry.field(description="What is sold (1-50).")
    sold_on: date | None = strawberry.field(
        default=None, description="The day of the sale; default today; never in the future."
    )


@strawberry.type(description="The sales recorded, one per item, in order.")
class SellProductsPayload:
    sales: list[ProductSale] | None = strawberry.field(description="The sales recorded.")
