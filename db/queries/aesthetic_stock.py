"""Tenant-scoped reads and the two atomic writes of aesthetic stock. The allowed practice comes
first; a batch of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F, Q
from tortoise.functions import Sum

from db.models import Batch, Product, StockMovement
from db.tenancy import OrganizationId, PracticeId


async def batch(
    practice_id: PracticeId, batch_id: UUID, connection: BaseDBAsyncClient | None = None
) -> Batch | None:
    query = Batch.filter(id=batch_id, practice_id=practice_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def take(
    practice_id: PracticeId,
    batch_id: UUID,
    amount_milli: int,
    connection: BaseDBAsyncClient,
    *,
    usable_on: date | None = None,
) -> bool:
    """Lower the batch's stock by ``amount_milli`` if that much is on hand (and, with
    ``usable_on``, the batch is neither quarantined nor expired that day): one conditional
    UPDATE, so concurrent takers of the last units cannot both succeed, and a quarantine that
    commits first stops a use in flight (PostgreSQL re-checks the condition on the locked row;
    SQLite runs writers one at a time)."""
    query = Batch.filter(id=batch_id, practice_id=practice_id, on_hand_milli__gte=amount_milli)
    if usable_on is not None:
        query = query.filter(quarantined_at__isnull=True, expires_on__gte=usable_on)
    changed = await query.using_db(connection).update(
        on_hand_milli=F("on_hand_milli") - amount_milli
    )
    return changed == 1


async def put(
    practice_id: PracticeId, batch_id: UUID, amount_milli: int, connection: BaseDBAsyncClient
) -> None:
    """Raise the batch's stock by ``amount_milli`` (a receipt or a positive adjustment)."""
    await (
        Batch.filter(id=batch_id, practice_id=practice_id)
        .using_db(connection)
        .update(on_hand_milli=F("on_hand_milli") + amount_milli)
    )


# --- Products (one catalogue per organisation) ------------------------------------------------


async def products(
    organization_id: OrganizationId,
    *,
    include_archived: bool = False,
    after: tuple[str, UUID] | None = None,
    limit: int = 101,
) -> list[Product]:
    """The organisation's products by name (then id), keyset-paged after ``after``."""
    query = Product.filter(organization_id=organization_id)
    if not include_archived:
        query = query.filter(active=True)
    if after is not None:
        name, last = after
        query = query.filter(Q(name__gt=name) | Q(name=name, id__gt=last))
    return await query.order_by("name", "id").limit(limit).all()


async def product(
    organization_id: OrganizationId,
    product_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> Product | None:
    """One product of the organisation; another organisation's answers like a missing one."""
    query = Product.filter(id=product_id, organization_id=organization_id)
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def products_by_id(
    organization_id: OrganizationId, product_ids: Collection[UUID]
) -> dict[UUID, Product]:
    if not product_ids:
        return {}
    rows = await Product.filter(organization_id=organization_id, id__in=list(product_ids))
    return {UUID(str(r.id)): r for r in rows}


async def product_named(
    organization_id: OrganizationId, name: str, connection: BaseDBAsyncClient | None = None
) -> Product | None:
    query = Product.filter(organization_id=organization_id, name=name)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def product_is_stocked(
    organization_id: OrganizationId, product_id: UUID, connection: BaseDBAsyncClient
) -> bool:
    """Whether any practice holds a batch of the product (its unit then may not change)."""
    return (
        await Batch.filter(product_id=product_id, product__organization_id=organization_id)
        .using_db(connection)
        .exists()
    )


# --- Batches and movements of one practice ----------------------------------------------------


async def batch_among(allowed: Collection[PracticeId], batch_id: UUID) -> Batch | None:
    """A batch of one of ``allowed`` (the caller's practices for a scope)."""
    if not allowed:
        return None
    return await Batch.filter(id=batch_id, practice_id__in=list(allowed)).first()


async def locked_batch(
    practice_id: PracticeId, batch_id: UUID, connection: BaseDBAsyncClient
) -> Batch:
    """The batch row locked for the rest of the transaction (quarantine and release)."""
    return (
        await Batch.select_for_update()
        .using_db(connection)
        .get(id=batch_id, practice_id=practice_id)
    )


async def lot_taken(
    practice_id: PracticeId, product_id: UUID, lot_number: str, connection: BaseDBAsyncClient
) -> bool:
    return (
        await Batch.filter(practice_id=practice_id, product_id=product_id, lot_number=lot_number)
        .using_db(connection)
        .exists()
    )


async def batches(
    practice_id: PracticeId,
    *,
    product_id: UUID | None = None,
    include_empty: bool = False,
    after: tuple[date, UUID] | None = None,
    limit: int = 101,
) -> list[Batch]:
    """The practice's batches, first to expire first (then id): the order to use them in."""
    query = Batch.filter(practice_id=practice_id)
    if product_id is not None:
        query = query.filter(product_id=product_id)
    if not include_empty:
        query = query.filter(on_hand_milli__gt=0)
    if after is not None:
        expires, last = after
        query = query.filter(Q(expires_on__gt=expires) | Q(expires_on=expires, id__gt=last))
    return await query.order_by("expires_on", "id").limit(limit).all()


async def expiring(practice_id: PracticeId, until: date) -> list[Batch]:
    """Batches with stock on hand expiring on or before ``until`` (already expired included)."""
    return (
        await Batch.filter(practice_id=practice_id, on_hand_milli__gt=0, expires_on__lte=until)
        .order_by("expires_on", "id")
        .all()
    )


async def movements(
    practice_id: PracticeId,
    batch_id: UUID,
    *,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 101,
) -> list[StockMovement]:
    """A batch's movements, oldest first."""
    query = StockMovement.filter(practice_id=practice_id, batch_id=batch_id)
    if after is not None:
        at, last = after
        query = query.filter(Q(occurred_at__gt=at) | Q(occurred_at=at, id__gt=last))
    return await query.order_by("occurred_at", "id").limit(limit).all()


async def movement_total(practice_id: PracticeId, batch_id: UUID) -> int:
    """The sum of a batch's movements (its on hand, recomputed from the ledger)."""
    found = (
        await StockMovement.filter(practice_id=practice_id, batch_id=batch_id)
        .annotate(total=Sum("quantity_milli"))
        .group_by("batch_id")
        .values("total")
    )
    return int(found[0]["total"] or 0) if found else 0


# On hand per product over the practice's usable batches (not quarantined, not expired), for
# the organisation's active products with a reorder level, kept where it is at or below that
# level: one aggregate. PostgreSQL allows p.name beside GROUP BY p.id (p.id is the key).
LOW_STOCK_POSTGRES = """
SELECT p.id, COALESCE(SUM(b.on_hand_milli), 0) AS on_hand
FROM aesthetic_product p
LEFT JOIN aesthetic_batch b
  ON b.product_id = p.id AND b.practice_id = $2 AND b.quarantined_at IS NULL
  AND b.expires_on >= $3 AND b.on_hand_milli > 0
WHERE p.organization_id = $1 AND p.active AND p.reorder_level_milli > 0
GROUP BY p.id
HAVING COALESCE(SUM(b.on_hand_milli), 0) <= p.reorder_level_milli
ORDER BY p.name, p.id
"""
LOW_STOCK_SQLITE = """
SELECT p.id, COALESCE(SUM(b.on_hand_milli), 0) AS on_hand
FROM aesthetic_product p
LEFT JOIN aesthetic_batch b
  ON b.product_id = p.id AND b.practice_id = ? AND b.quarantined_at IS NULL
  AND b.expires_on >= ? AND b.on_hand_milli > 0
WHERE p.organization_id = ? AND p.active = 1 AND p.reorder_level_milli > 0
GROUP BY p.id
HAVING COALESCE(SUM(b.on_hand_milli), 0) <= p.reorder_level_milli
ORDER BY p.name, p.id
"""


async def low_stock(
    organization_id: OrganizationId, practice_id: PracticeId, today: date
) -> list[tuple[Product, int]]:
    """(product, on hand in milli) for each product at or below its reorder level here."""
    client: BaseDBAsyncClient = Batch._meta.db
    if client.capabilities.dialect == "sqlite":
        values: list[Any] = [str(practice_id), today.isoformat(), str(organization_id)]
        _, rows = await client.execute_query(LOW_STOCK_SQLITE, values)
    else:
        _, rows = await client.execute_query(
            LOW_STOCK_POSTGRES, [organization_id, practice_id, today]
        )
    totals = {UUID(str(row[0])): int(row[1]) for row in rows}
    found = await products_by_id(organization_id, totals)
    return [(found[pid], totals[pid]) for pid in totals if pid in found]


async def add_stock(
    new_products: list[Product], new_batches: list[Batch], new_movements: list[StockMovement]
) -> None:
    """Demo seeding: whole batches with their movements at once (rows carry their tenant)."""
    await Product.bulk_create(new_products)
    await Batch.bulk_create(new_batches)
    await StockMovement.bulk_create(new_movements)
