"""Aesthetic products, batches and stock movements as the graph shows them.

Amounts are exact decimals (``Decimal``, a string such as ``"10.500"``) in the product's
``unit``, never floats; the database keeps integer thousandths. Stock is no patient data: its
types are reached only through the stock queries (``@requires stock:read``) or a stock
mutation, whose service demanded ``stock:write`` in the practice.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from db.models import Batch as BatchModel
from db.models import Product as ProductModel
from db.models import StockMovement as MovementModel
from graph.context import Info
from graph.ids import IdFields
from graph.permissions.fields import requires
from graph.schema.nodes import Node
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.scheduling_kinds import AestheticKind
from services.aesthetics import batches, products
from services.aesthetics.stock_ledger import MovementKind
from services.policy import Scope

ProductKind = AestheticKind
StockUnit = strawberry.enum(
    products.StockUnit,
    name="StockUnit",
    description="What a product's amounts count: UNITS (toxin units) or ML (millilitres).",
)
StockMovementKind = strawberry.enum(
    MovementKind,
    name="StockMovementKind",
    description="RECEIVED (a delivery), USED (in a treatment), SOLD (to a patient, "
    "`sellProducts`), WASTED, RETURNED (to the supplier) or ADJUSTED (a stock count, up or "
    "down).",
)
ManualStockMovement = strawberry.enum(
    batches.ManualMovement,
    name="ManualStockMovement",
    description="What staff record by hand: WASTED (reason required), RETURNED, or ADJUSTED "
    "(signed amount, reason required).",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _optional_id(value: object) -> strawberry.ID | None:
    return None if value is None else _id(value)


@strawberry.type(description="A product of the organisation's aesthetic catalogue.")
class AestheticProduct:
    id: strawberry.ID
    name: str = strawberry.field(description="Trade name, unique in the organisation.")
    brand: str = strawberry.field(description="The manufacturer's brand.")
    kind: ProductKind = strawberry.field(description="What kind of product it is.")  # type: ignore[valid-type]
    unit: StockUnit = strawberry.field(description="What its amounts count.")  # type: ignore[valid-type]
    prescription_only: bool = strawberry.field(
        description="Administered only under a prescriber's prescription."
    )
    reorder_level: Decimal = strawberry.field(
        description="`lowStock` lists it when the usable stock on hand is at or below this "
        "(in `unit`; 0: never listed)."
    )
    archived: bool = strawberry.field(description="No longer received (its batches remain).")

    @classmethod
    def from_model(cls, row: ProductModel) -> AestheticProduct:
        return cls(
            id=_id(row.id),
            name=row.name,
            brand=row.brand,
            kind=products.ProductKind(row.kind),
            unit=products.StockUnit(row.unit),
            prescription_only=row.prescription_only,
            reorder_level=products.from_milli(row.reorder_level_milli),
            archived=not row.active,
        )


@strawberry.type(description="One change to a batch's stock.")
class StockMovement:
    id: strawberry.ID
    kind: StockMovementKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    quantity: Decimal = strawberry.field(
        description="Signed change in the product's unit: + in, - out."
    )
    reason: str | None = strawberry.field(description="Why (waste, a count, a return).")
    treatment_id: strawberry.ID | None = strawberry.field(
        description="The injectable treatment that used it (USED only)."
    )
    recorded_by_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who recorded it."
    )
    occurred_at: datetime = strawberry.field(description="When it happened.")

    @classmethod
    def from_model(cls, row: MovementModel) -> StockMovement:
        return cls(
            id=_id(row.id),
            kind=MovementKind(row.kind),
            quantity=products.from_milli(row.quantity_milli),
            reason=row.reason,
            treatment_id=_optional_id(row.treatment_id),
            recorded_by_user_id=_optional_id(row.recorded_by_user_id),
            occurred_at=row.occurred_at,
        )


@strawberry.type(description="One delivered lot of a product at a practice, and its stock.")
class StockBatch(Node):
    id: strawberry.ID
    product: AestheticProduct = strawberry.field(description="The product.")
    lot_number: str = strawberry.field(description="The manufacturer's lot (batch) number.")
    expires_on: date = strawberry.field(description="Its expiry date (usable through that day).")
    unit: StockUnit = strawberry.field(description="The product's unit.")  # type: ignore[valid-type]
    quantity_received: Decimal = strawberry.field(description="How much was delivered.")
    on_hand: Decimal = strawberry.field(
        description="Stock left: the sum of its movements, never below zero."
    )
    supplier: str = strawberry.field(description="Who delivered it.")
    received_on: date = strawberry.field(description="When it was delivered.")
    received_by_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who received it."
    )
    expired: bool = strawberry.field(description="Its expiry date has passed (today, UTC).")
    quarantined: bool = strawberry.field(description="Withheld: it may not be used.")
    quarantined_at: datetime | None = strawberry.field(description="When it was quarantined.")
    quarantine_reason: str | None = strawberry.field(description="Why it was quarantined.")
    quarantined_by_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who quarantined it."
    )
    usable: bool = strawberry.field(
        description="Neither expired nor quarantined, and some is on hand."
    )
    practice_id: strawberry.Private[UUID]
    batch_uuid: strawberry.Private[UUID]

    @strawberry.field(
        description="Its movements, oldest first (stock:read in the batch's practice).",
        extensions=requires(Scope.STOCK_READ),
    )
    async def movements(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[StockMovement] | None:
        rows, has_next = await batches.movements(
            info.context.principal,
            batch_id=self.batch_uuid,
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[StockMovement].build(
            rows,
            StockMovement.from_model,
            lambda m: [m.occurred_at.isoformat(), str(m.id)],
            has_next=has_next,
        )

    @classmethod
    def from_view(cls, view: batches.BatchView) -> StockBatch:
        row: BatchModel = view.batch
        expired = row.expires_on < batches.today()
        quarantined = row.quarantined_at is not None
        return cls(
            id=_id(row.id),
            product=AestheticProduct.from_model(view.product),
            lot_number=row.lot_number,
            expires_on=row.expires_on,
            unit=products.StockUnit(view.product.unit),
            quantity_received=products.from_milli(row.quantity_received_milli),
            on_hand=products.from_milli(row.on_hand_milli),
            supplier=row.supplier,
            received_on=row.received_on,
            received_by_user_id=_optional_id(row.received_by_user_id),
            expired=expired,
            quarantined=quarantined,
            quarantined_at=row.quarantined_at,
            quarantine_reason=row.quarantine_reason,
            quarantined_by_user_id=_optional_id(row.quarantined_by_user_id),
            usable=not expired and not quarantined and row.on_hand_milli > 0,
            practice_id=UUID(str(row.practice_id)),
            batch_uuid=UUID(str(row.id)),
        )


@strawberry.type(description="A product at or below its reorder level at a practice.")
class LowStockProduct:
    product: AestheticProduct = strawberry.field(description="The product.")
    on_hand: Decimal = strawberry.field(
        description="Stock on hand over usable batches (not expired, not quarantined)."
    )
    reorder_level: Decimal = strawberry.field(description="The product's reorder level.")
    unit: StockUnit = strawberry.field(description="The product's unit.")  # type: ignore[valid-type]

    @classmethod
    def from_low(cls, low: batches.Low) -> LowStockProduct:
        return cls(
            product=AestheticProduct.from_model(low.product),
            on_hand=products.from_milli(low.on_hand_milli),
            reorder_level=products.from_milli(low.product.reorder_level_milli),
            unit=products.StockUnit(low.product.unit),
        )


# --- Inputs and payloads ------------------------------------------------------------------------


@strawberry.input(description="A new product for the practice's organisation's catalogue.")
class CreateProductInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice acting.")
    name: str = strawberry.field(description="Trade name (unique in the organisation).")
    brand: str = strawberry.field(description="The manufacturer's brand.")
    kind: ProductKind = strawberry.field(description="What kind of product.")  # type: ignore[valid-type]
    unit: StockUnit = strawberry.field(description="What its amounts count.")  # type: ignore[valid-type]
    prescription_only: bool = strawberry.field(
        default=False, description="Administered only under a prescription."
    )
    reorder_level: Decimal = strawberry.field(
        default=Decimal(0), description="Low-stock threshold in `unit` (0 to 100000)."
    )

    def spec(self) -> products.ProductSpec:
        return products.ProductSpec(
            name=self.name,
            brand=self.brand,
            kind=products.ProductKind(self.kind),
            unit=products.StockUnit(self.unit),
            prescription_only=self.prescription_only,
            reorder_level=self.reorder_level,
        )


@strawberry.input(description="Changes to a product; null leaves a value as it is.")
class UpdateProductInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice acting.")
    product_id: strawberry.ID = strawberry.field(description="The product.")
    name: str | None = strawberry.field(default=None, description="New trade name.")
    brand: str | None = strawberry.field(default=None, description="New brand.")
    kind: ProductKind | None = strawberry.field(default=None, description="New kind.")  # type: ignore[valid-type]
    unit: StockUnit | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="New unit (refused once the product has been stocked)."
    )
    prescription_only: bool | None = strawberry.field(
        default=None, description="Prescription-only or not."
    )
    reorder_level: Decimal | None = strawberry.field(
        default=None, description="New low-stock threshold."
    )
    archived: bool | None = strawberry.field(
        default=None, description="true archives the product, false restores it."
    )

    def spec(self) -> products.ProductSpec:
        return products.ProductSpec(
            name=self.name,
            brand=self.brand,
            kind=None if self.kind is None else products.ProductKind(self.kind),
            unit=None if self.unit is None else products.StockUnit(self.unit),
            prescription_only=self.prescription_only,
            reorder_level=self.reorder_level,
            archived=self.archived,
        )


@strawberry.input(description="A delivered lot of a product.")
class ReceiveBatchInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice receiving it.")
    product_id: strawberry.ID = strawberry.field(description="A product of its organisation.")
    lot_number: str = strawberry.field(description="The lot number on the box.")
    expires_on: date = strawberry.field(description="Expiry date (not already past).")
    quantity: Decimal = strawberry.field(
        description="How much, in the product's unit (more than 0, at most 3 decimals)."
    )
    supplier: str | None = strawberry.field(default=None, description="Who delivered it.")
    received_on: date | None = strawberry.field(
        default=None, description="Delivery date; default today."
    )

    def receipt(self) -> batches.Receipt:
        return batches.Receipt(
            product_id=self.ids.product_id,
            lot_number=self.lot_number,
            expires_on=self.expires_on,
            quantity=self.quantity,
            supplier=self.supplier,
            received_on=self.received_on,
        )


@strawberry.input(description="Waste, a return or a counted adjustment of a batch.")
class RecordStockMovementInput(IdFields):
    batch_id: strawberry.ID = strawberry.field(description="The batch.")
    kind: ManualStockMovement = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    amount: Decimal = strawberry.field(
        description="How much, in the product's unit; negative only for ADJUSTED (a count "
        "below the book figure)."
    )
    reason: str | None = strawberry.field(
        default=None, description="Why; required for WASTED and ADJUSTED."
    )


@strawberry.input(description="A batch to withhold from use.")
class QuarantineBatchInput(IdFields):
    batch_id: strawberry.ID = strawberry.field(description="The batch.")
    reason: str = strawberry.field(description="Why (a safety notice, a suspected fault).")


@strawberry.input(description="A quarantined batch to release.")
class ReleaseBatchInput(IdFields):
    batch_id: strawberry.ID = strawberry.field(description="The batch.")


@strawberry.type(description="The product after the change.")
class ProductPayload:
    product: AestheticProduct | None = strawberry.field(description="The product.")
    changed_fields: list[str] = strawberry.field(description="Fields that changed (update).")


@strawberry.type(description="The batch after the change.")
class StockBatchPayload:
    batch: StockBatch | None = strawberry.field(description="The batch.")


@strawberry.type(description="The movement recorded and the batch after it.")
class RecordStockMovementPayload:
    movement: StockMovement | None = strawberry.field(description="The movement recorded.")
    batch: StockBatch | None = strawberry.field(description="The batch after it.")
