"""Aesthetic stock queries and mutations: parse ids, call one service, map back.

Stock carries no patient data, so its reads are not put in the read trail; every change is
audited, with its ``stock`` event, by the service in the change's unit of work.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from graph.context import Info
from graph.ids import id_argument, optional_id_argument
from graph.permissions.fields import requires
from graph.schema.aesthetic_stock import (
    AestheticProduct,
    CreateProductInput,
    LowStockProduct,
    ProductPayload,
    QuarantineBatchInput,
    ReceiveBatchInput,
    RecordStockMovementInput,
    RecordStockMovementPayload,
    ReleaseBatchInput,
    StockBatch,
    StockBatchPayload,
    StockMovement,
    UpdateProductInput,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.aesthetics import batches, products
from services.policy import Scope


@strawberry.type
class AestheticStockQueries:
    @strawberry.field(
        description="The aesthetic products of the practice's organisation, by name.",
        extensions=requires(Scope.STOCK_READ),
    )
    async def products(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived products.")
        ] = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[AestheticProduct] | None:
        size = page_size(first)
        rows = await products.products(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            include_archived=include_archived,
            after=after_key(after, str, UUID),
            limit=size + 1,
        )
        return Connection[AestheticProduct].build(
            rows[:size],
            AestheticProduct.from_model,
            lambda p: [p.name, str(p.id)],
            has_next=len(rows) > size,
        )

    @strawberry.field(
        description="The practice's batches, first to expire first (the order to use them in).",
        extensions=requires(Scope.STOCK_READ),
    )
    async def batches(
        self,
        info: Info,
        practice_id: strawberry.ID,
        product_id: Annotated[
            strawberry.ID | None, strawberry.argument(description="Only this product's batches.")
        ] = None,
        include_empty: Annotated[
            bool, strawberry.argument(description="Also list batches with nothing on hand.")
        ] = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[StockBatch] | None:
        page = await batches.batches(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            product_id=optional_id_argument(product_id=product_id),
            include_empty=include_empty,
            after=after_key(after, date, UUID),
            first=page_size(first),
        )
        return Connection[StockBatch].build(
            page.views,
            StockBatch.from_view,
            lambda b: [b.batch.expires_on.isoformat(), str(b.batch.id)],
            has_next=page.has_next,
        )

    @strawberry.field(
        description="One batch, with its movements.", extensions=requires(Scope.STOCK_READ)
    )
    async def batch(self, info: Info, id: strawberry.ID) -> StockBatch | None:
        found = await batches.batch(info.context.principal, batch_id=id_argument(id=id))
        return StockBatch.from_view(found)

    @strawberry.field(
        description="Products whose usable stock here (not expired, not quarantined) is at or "
        "below their reorder level.",
        extensions=requires(Scope.STOCK_READ),
    )
    async def low_stock(
        self, info: Info, practice_id: strawberry.ID
    ) -> list[LowStockProduct] | None:
        found = await batches.low_stock(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return [LowStockProduct.from_low(low) for low in found]

    @strawberry.field(
        description="Batches with stock on hand expiring within the days given, first to "
        "expire first; already expired ones are included (to waste or return).",
        extensions=requires(Scope.STOCK_READ),
    )
    async def expiring_batches(
        self,
        info: Info,
        practice_id: strawberry.ID,
        within_days: Annotated[
            int, strawberry.argument(description="How many days ahead to look (0 to 366).")
        ] = 30,
    ) -> list[StockBatch] | None:
        found = await batches.expiring(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            within_days=within_days,
        )
        return [StockBatch.from_view(view) for view in found]


@strawberry.type
class AestheticStockMutations:
    @strawberry.mutation(
        description="Add a product to the practice's organisation's catalogue.",
        extensions=requires(Scope.STOCK_WRITE),
    )
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload | None:
        row = await products.create(
            info.context.principal, practice_id=input.ids.practice_id, spec=input.spec()
        )
        return ProductPayload(product=AestheticProduct.from_model(row), changed_fields=[])

    @strawberry.mutation(
        description="Change, archive or restore a product of the practice's organisation.",
        extensions=requires(Scope.STOCK_WRITE),
    )
    async def update_product(self, info: Info, input: UpdateProductInput) -> ProductPayload | None:
        row, changed = await products.update(
            info.context.principal,
            practice_id=input.ids.practice_id,
            product_id=input.ids.product_id,
            spec=input.spec(),
        )
        return ProductPayload(product=AestheticProduct.from_model(row), changed_fields=changed)

    @strawberry.mutation(
        description="Receive a delivered lot: the batch and its RECEIVED movement together.",
        extensions=requires(Scope.STOCK_WRITE),
    )
    async def receive_batch(self, info: Info, input: ReceiveBatchInput) -> StockBatchPayload | None:
        view = await batches.receive(
            info.context.principal, practice_id=input.ids.practice_id, receipt=input.receipt()
        )
        return StockBatchPayload(batch=StockBatch.from_view(view))

    @strawberry.mutation(
        description="Record waste, a return to the supplier or a counted adjustment; stock "
        "never goes below zero (CONFLICT on `amount`).",
        extensions=requires(Scope.STOCK_WRITE),
    )
    async def record_stock_movement(
        self, info: Info, input: RecordStockMovementInput
    ) -> RecordStockMovementPayload | None:
        movement, view = await batches.record_movement(
            info.context.principal,
            batch_id=input.ids.batch_id,
            kind=batches.ManualMovement(input.kind),
            amount=input.amount,
            reason=input.reason,
        )
        return RecordStockMovementPayload(
            movement=StockMovement.from_model(movement), batch=StockBatch.from_view(view)
        )

    @strawberry.mutation(
        description="Quarantine a batch: it may not be used from the next request on.",
        extensions=requires(Scope.STOCK_WRITE),
    )
    async def quarantine_batch(
        self, info: Info, input: QuarantineBatchInput
    ) -> StockBatchPayload | None:
        view = await batches.quarantine(
            info.context.principal, batch_id=input.ids.batch_id, reason=input.reason
        )
        return StockBatchPayload(batch=StockBatch.from_view(view))

    @strawberry.mutation(
        description="Release a quarantined batch.", extensions=requires(Scope.STOCK_WRITE)
    )
    async def release_batch(self, info: Info, input: ReleaseBatchInput) -> StockBatchPayload | None:
        view = await batches.release(info.context.principal, batch_id=input.ids.batch_id)
        return StockBatchPayload(batch=StockBatch.from_view(view))
