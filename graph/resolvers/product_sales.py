"""The retail sale mutation: parse ids, call one service, map back."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.schema.product_sales import ProductSale, SellProductsInput, SellProductsPayload
from services.billing import product_sales


@strawberry.type
class ProductSaleMutations:
    @strawberry.mutation(
        description="Sell products from the practice's stock to a patient (billing:write): "
        "each item leaves its batch as a SOLD stock movement, and waits to be invoiced by "
        "`invoiceUninvoicedItems`. A quarantined, expired or short batch refuses the whole "
        "sale (CONFLICT); prescription-only products are not sold."
    )
    async def sell_products(
        self, info: Info, input: SellProductsInput
    ) -> SellProductsPayload | None:
        views = await product_sales.sell_products(
            info.context.principal,
            patient_id=input.ids.patient_id,
            items=[
                product_sales.SaleItem(item.ids.batch_id, item.quantity) for item in input.items
            ],
            sold_on=input.sold_on,
        )
        return SellProductsPayload(sales=[ProductSale.from_view(v) for v in views])
