"""Batches a practice receives and the stock kept in them: receipts, waste, returns,
adjustments, quarantine and release, and the reads of stock (lists, one batch with its
movements, low stock, expiring soon).

Every change of stock goes through :func:`services.aesthetics.stock_ledger.record` in the same
unit of work as its audit row and outbox event (topic ``stock``), so a batch's ``on_hand_milli``
is always the sum of its movements and never below zero. A quarantined batch is refused for
USED from the next request on (the ledger reads the committed flag); it may still be wasted or
returned to the supplier. Reading needs stock:read in the practice, changing stock:write; a
batch of another practice, or a product of another organisation, answers like a random id.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.models import Batch, Product, StockMovement
from db.queries import aesthetic_stock as queries
from db.tenancy import PracticeId
from db.uow import unit_of_work
from services import tenant_gate
from services.aesthetics import products, stock_ledger
from services.aesthetics.stock_ledger import Move, MovementKind
from services.errors import Conflict, NotFound, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal

MAX_SHELF_LIFE = timedelta(days=10 * 366)  # an expiry further out than this is a typo
MAX_RECEIPT_AGE = timedelta(days=366)  # a delivery booked in more than a year late is a typo
MAX_WINDOW_DAYS = 366


class ManualMovement(StrEnum):
    """What staff record by hand; USED comes from a treatment, RECEIVED from receiveBatch."""

    WASTED = "WASTED"
    RETURNED = "RETURNED"
    ADJUSTED = "ADJUSTED"


NEEDS_REASON = frozenset({ManualMovement.WASTED, ManualMovement.ADJUSTED})


@dataclass(frozen=True, slots=True)
class Receipt:
    product_id: UUID
    lot_number: str
    expires_on: date
    quantity: Decimal
    supplier: str | None = None
    received_on: date | None = None  # default today


@dataclass(frozen=True, slots=True)
class BatchView:
    batch: Batch
    product: Product


@dataclass(frozen=True, slots=True)
class BatchPage:
    views: list[BatchView]
    has_next: bool


@dataclass(frozen=True, slots=True)
class Low:
    product: Product
    on_hand_milli: int


def today() -> date:
    return datetime.now(UTC).date()


async def _viewed(pid: PracticeId, principal: Principal, rows: list[Batch]) -> list[BatchView]:
    organization = products.organization_of(principal, pid)
    found = await queries.products_by_id(organization, {UUID(str(r.product_id)) for r in rows})
    return [BatchView(r, found[UUID(str(r.product_id))]) for r in rows]


async def _batch(principal: Principal, batch_id: UUID) -> Batch:
    found = await queries.batch_among(principal.practices_with(Scope.STOCK_READ), batch_id)
    if found is None:
        raise NotFound("Batch")
    return found


async def _writable_batch(principal: Principal, batch_id: UUID, action: str) -> Batch:
    found = await _batch(principal, batch_id)
    await products.writable(principal, tenant_gate.practice_of(found), action)
    return found


# --- Reads ------------------------------------------------------------------------------------


async def batches(
    principal: Principal,
    *,
    practice_id: UUID,
    product_id: UUID | None = None,
    include_empty: bool = False,
    after: tuple[date, UUID] | None = None,
    first: int = 25,
) -> BatchPage:
    """The practice's batches, first to expire first; empty ones only with ``include_empty``."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STOCK_READ)
    rows = await queries.batches(
        pid, product_id=product_id, include_empty=include_empty, after=after, limit=first + 1
    )
    return BatchPage(await _viewed(pid, principal, rows[:first]), len(rows) > first)


async def batch(principal: Principal, *, batch_id: UUID) -> BatchView:
    found = await _batch(principal, batch_id)
    return (await _viewed(tenant_gate.practice_of(found), principal, [found]))[0]


async def movements(
    principal: Principal,
    *,
    batch_id: UUID,
    after: tuple[datetime, UUID] | None = None,
    first: int = 25,
) -> tuple[list[StockMovement], bool]:
    """A batch's movements, oldest first (stock:read in its practice)."""
    found = await _batch(principal, batch_id)
    rows = await queries.movements(
        tenant_gate.practice_of(found), UUID(str(found.id)), after=after, limit=first + 1
    )
    return rows[:first], len(rows) > first


async def low_stock(principal: Principal, *, practice_id: UUID) -> list[Low]:
    """Products whose stock on hand here (usable batches only: not quarantined, not expired) is
    at or below their reorder level; a product without a reorder level is never listed."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STOCK_READ)
    found = await queries.low_stock(products.organization_of(principal, pid), pid, today())
    return [Low(product, milli) for product, milli in found]


async def expiring(principal: Principal, *, practice_id: UUID, within_days: int) -> list[BatchView]:
    """Batches with stock on hand that expire within ``within_days`` (already expired ones
    included: they are waiting to be wasted or returned), first to expire first."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STOCK_READ)
    if not 0 <= within_days <= MAX_WINDOW_DAYS:
        raise ValidationFailed(f"Give 0 to {MAX_WINDOW_DAYS} days.", field="withinDays")
    rows = await queries.expiring(pid, today() + timedelta(days=within_days))
    return await _viewed(pid, principal, rows)


# --- Changes ----------------------------------------------------------------------------------


def _received_values(receipt: Receipt) -> tuple[str, date, int, str, date]:
    # Lot numbers are printed in capitals; one spelling keeps a recall by lot number exact.
    lot = (v.text(receipt.lot_number, "lotNumber", max_length=64, required=True) or "").upper()
    on = today()
    received_on = receipt.received_on or on
    if received_on > on:
        raise ValidationFailed("A delivery cannot be received in the future.", field="receivedOn")
    if received_on < on - MAX_RECEIPT_AGE:
        raise ValidationFailed("That delivery date is more than a year ago.", field="receivedOn")
    if receipt.expires_on < on:
        raise ValidationFailed(
            f"This batch expired on {receipt.expires_on.isoformat()}; it may not be received.",
            field="expiresOn",
        )
    if receipt.expires_on > on + MAX_SHELF_LIFE:
        raise ValidationFailed("That expiry date is not plausible.", field="expiresOn")
    quantity = stock_ledger.checked_amount(
        products.to_milli(receipt.quantity, "quantity"), "quantity"
    )
    supplier = v.text(receipt.supplier or "", "supplier", max_length=120) or ""
    return lot, receipt.expires_on, quantity, supplier, received_on


async def receive(principal: Principal, *, practice_id: UUID, receipt: Receipt) -> BatchView:
    """A delivered lot: the batch and its RECEIVED movement, with audit and event, together."""
    pid = await products.writable(principal, practice_id, "RECEIVE aesthetic_batch")
    organization = products.organization_of(principal, pid)
    product = await queries.product(organization, receipt.product_id)
    if product is None:
        raise NotFound("Product")
    if not product.active:
        raise Conflict("This product is archived; restore it to receive stock.", field="productId")
    lot, expires_on, quantity, supplier, received_on = _received_values(receipt)
    row = Batch(
        id=uuid4(),
        practice_id=pid,
        product_id=product.id,
        lot_number=lot,
        expires_on=expires_on,
        quantity_received_milli=quantity,
        on_hand_milli=0,  # the RECEIVED movement puts the stock in
        supplier=supplier,
        received_on=received_on,
        received_by_user_id=principal.user_id,
    )
    try:
        async with unit_of_work() as uow:
            # Locked: a unit change or archiving waits for the receipt (and then sees it).
            locked = await queries.product(
                organization, UUID(str(product.id)), uow.connection, for_update=True
            )
            if locked is None or not locked.active:
                raise Conflict(
                    "This product is archived; restore it to receive stock.", field="productId"
                )
            if await queries.lot_taken(pid, UUID(str(product.id)), lot, uow.connection):
                raise _duplicate_lot()
            await row.save(using_db=uow.connection)
            movement = await stock_ledger.record(
                uow,
                pid,
                UUID(str(row.id)),
                Move(MovementKind.RECEIVED, quantity, datetime.now(UTC), principal.user_id),
                field="quantity",
            )
            products.changed(
                uow,
                principal,
                pid,
                action="RECEIVE aesthetic_batch",
                entity_type="Batch",
                entity_id=UUID(str(row.id)),
                event="BATCH_RECEIVED",
                fields=["lotNumber", "expiresOn", "quantity", "supplier", "receivedOn"],
                payload={"productId": str(product.id), "movementId": str(movement.id)},
            )
    except IntegrityError:  # the same lot received at the same moment by someone else
        raise _duplicate_lot() from None
    row.on_hand_milli = quantity
    return BatchView(row, product)


def _duplicate_lot() -> Conflict:
    return Conflict("This lot of the product is already in stock here.", field="lotNumber")


async def record_movement(
    principal: Principal,
    *,
    batch_id: UUID,
    kind: ManualMovement,
    amount: Decimal,
    reason: str | None,
) -> tuple[StockMovement, BatchView]:
    """Waste, a return to the supplier, or a counted adjustment (``amount`` may be negative
    only for ADJUSTED); a reason is required for WASTED and ADJUSTED. Never below zero:
    CONFLICT on ``amount`` when that much is not on hand."""
    found = await _writable_batch(principal, batch_id, f"{kind.value} aesthetic_batch")
    pid = tenant_gate.practice_of(found)
    milli = stock_ledger.checked_amount(
        products.to_milli(amount, "amount"), "amount", signed=kind is ManualMovement.ADJUSTED
    )
    said = v.text(reason or "", "reason", max_length=500, required=kind in NEEDS_REASON)
    async with unit_of_work() as uow:
        movement = await stock_ledger.record(
            uow,
            pid,
            UUID(str(found.id)),
            Move(MovementKind(kind.value), milli, datetime.now(UTC), principal.user_id, said),
        )
        products.changed(
            uow,
            principal,
            pid,
            action=f"{kind.value} aesthetic_batch",
            entity_type="Batch",
            entity_id=UUID(str(found.id)),
            event="STOCK_MOVED",
            fields=["onHand"],
            payload={"movementId": str(movement.id), "kind": kind.value},
        )
    return movement, await batch(principal, batch_id=UUID(str(found.id)))


async def quarantine(principal: Principal, *, batch_id: UUID, reason: str) -> BatchView:
    """Withhold a batch (a safety notice, a suspected fault): USED is refused from now on."""
    found = await _writable_batch(principal, batch_id, "QUARANTINE aesthetic_batch")
    said = v.text(reason, "reason", max_length=500, required=True) or ""
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        locked = await queries.locked_batch(pid, UUID(str(found.id)), uow.connection)
        if locked.quarantined_at is not None:
            raise Conflict("This batch is already quarantined.", field="batchId")
        locked.quarantined_at = datetime.now(UTC)
        locked.quarantined_by_user_id = principal.user_id
        locked.quarantine_reason = said
        await locked.save(
            using_db=uow.connection,
            update_fields=["quarantined_at", "quarantined_by_user_id", "quarantine_reason"],
        )
        products.changed(
            uow,
            principal,
            pid,
            action="QUARANTINE aesthetic_batch",
            entity_type="Batch",
            entity_id=UUID(str(found.id)),
            event="BATCH_QUARANTINED",
            fields=["quarantinedAt", "quarantineReason"],
        )
    return await batch(principal, batch_id=UUID(str(found.id)))


async def release(principal: Principal, *, batch_id: UUID) -> BatchView:
    """Lift a quarantine (the notice did not concern this lot); the audit trail keeps it."""
    found = await _writable_batch(principal, batch_id, "RELEASE aesthetic_batch")
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        locked = await queries.locked_batch(pid, UUID(str(found.id)), uow.connection)
        if locked.quarantined_at is None:
            raise Conflict("This batch is not quarantined.", field="batchId")
        locked.quarantined_at = None
        locked.quarantined_by_user_id = None
        locked.quarantine_reason = None  # type: ignore[assignment]  # a nullable column
        await locked.save(
            using_db=uow.connection,
            update_fields=["quarantined_at", "quarantined_by_user_id", "quarantine_reason"],
        )
        products.changed(
            uow,
            principal,
            pid,
            action="RELEASE aesthetic_batch",
            entity_type="Batch",
            entity_id=UUID(str(found.id)),
            event="BATCH_RELEASED",
            fields=["quarantinedAt", "quarantineReason"],
        )
    return await batch(principal, batch_id=UUID(str(found.id)))
