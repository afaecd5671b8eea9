"""Demo stock for an aesthetic practice: a real-looking catalogue (toxins, fillers, a skin
booster, and an aftercare product sold at the desk) and batches with their movements, so
``batches``, ``lowStock``, ``expiringBatches``, the injectable treatments and retail sales have
something true to show.

The practice ends up with one product below its reorder level (Azzalure), one batch expiring
within the month (a Restylane lot), one batch quarantined under a field safety notice
(Bocouture), and waste and stock-count adjustments in the ledger. Each batch's ``on_hand_milli``
is the sum of its seeded movements, as the stock ledger keeps it. Products are the
organisation's: one already there (another practice seeded first) is reused.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID, uuid4

from db.models import Batch, Patient, Practice, Product, StockMovement, User
from db.queries import aesthetic_stock as queries
from services import tenant_gate
from services.aesthetics.products import ProductKind, StockUnit
from services.aesthetics.stock_ledger import MovementKind

U = 1000  # one unit or one ml, in thousandths


@dataclass(frozen=True, slots=True)
class _Item:
    name: str
    brand: str
    kind: ProductKind
    unit: StockUnit
    prescription_only: bool
    reorder_level: int  # whole units or ml
    pack: int  # units or ml in one box/vial/syringe
    lot_prefix: str
    supplier: str


CATALOGUE = (
    _Item(
        "Botox 100U vial",
        "Allergan",
        ProductKind.TOXIN,
        StockUnit.UNITS,
        True,
        200,
        100,
        "C",
        "Healthxchange Pharmacy",
    ),
    _Item(
        "Azzalure 125 Speywood units",
        "Galderma",
        ProductKind.TOXIN,
        StockUnit.UNITS,
        True,
        250,
        125,
        "N",
        "Church Pharmacy",
    ),
    _Item(
        "Bocouture 50U vial",
        "Merz Aesthetics",
        ProductKind.TOXIN,
        StockUnit.UNITS,
        True,
        100,
        50,
        "M",
        "Healthxchange Pharmacy",
    ),
    _Item(
        "Juvederm Volbella with Lidocaine 1 ml",
        "Allergan",
        ProductKind.FILLER,
        StockUnit.ML,
        False,
        4,
        1,
        "V40LB",
        "Healthxchange Pharmacy",
    ),
    _Item(
        "Restylane Lyft with Lidocaine 1 ml",
        "Galderma",
        ProductKind.FILLER,
        StockUnit.ML,
        False,
        3,
        1,
        "2",
        "Church Pharmacy",
    ),
    _Item(
        "Profhilo 2 ml",
        "IBSA Derma",
        ProductKind.SKIN_BOOSTER,
        StockUnit.ML,
        False,
        4,
        2,
        "P",
        "Wigmore Medical",
    ),
    _Item(
        "AlumierMD Calm-R 50 ml",
        "AlumierMD",
        ProductKind.OTHER,
        StockUnit.UNITS,
        False,
        4,
        1,
        "CR",
        "AlumierMD UK",
    ),
)
# (product name, packs received, days ago received, days until expiry, what happened since)
_WASTE = "wasted"
_COUNT = "counted"
_LOW = "mostly gone"
_RECALL = "quarantined"
_BATCHES: tuple[tuple[str, int, int, int, str], ...] = (
    ("Botox 100U vial", 6, 75, 520, _WASTE),
    ("Botox 100U vial", 4, 12, 700, ""),
    ("Azzalure 125 Speywood units", 2, 60, 400, _LOW),
    ("Bocouture 50U vial", 4, 40, 600, _RECALL),
    ("Bocouture 50U vial", 3, 10, 650, ""),
    ("Juvederm Volbella with Lidocaine 1 ml", 10, 90, 500, _COUNT),
    ("Restylane Lyft with Lidocaine 1 ml", 6, 300, 21, _WASTE),
    ("Restylane Lyft with Lidocaine 1 ml", 6, 20, 640, ""),
    ("Profhilo 2 ml", 5, 45, 420, ""),
    ("AlumierMD Calm-R 50 ml", 12, 50, 700, ""),
)


def _lot(item: _Item, rng: random.Random) -> str:
    if item.kind is ProductKind.TOXIN:
        return f"{item.lot_prefix}{rng.randint(1000, 9999)}C{rng.randint(1, 9)}"
    return f"{item.lot_prefix}{rng.randint(100000, 999999)}"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


async def seed_stock(
    practice: Practice, patients: list[Patient], clinician_user: User, rng: random.Random
) -> int:
    """Products (the organisation's) and batches with movements for one practice; how many
    batches were made. ``patients`` are not needed: use is recorded by treatments."""
    del patients
    pid = tenant_gate.operator_practice(practice.id)
    organization = tenant_gate.organization_of(practice)
    today = datetime.now(UTC).date()
    user_id = UUID(str(clinician_user.id))
    products: dict[str, Product] = {}
    new_products: list[Product] = []
    for item in CATALOGUE:
        found = await queries.product_named(organization, item.name)
        if found is None:
            found = Product(
                id=uuid4(),
                organization_id=organization,
                name=item.name,
                brand=item.brand,
                kind=item.kind.value,
                unit=item.unit.value,
                prescription_only=item.prescription_only,
                reorder_level_milli=item.reorder_level * U,
            )
            new_products.append(found)
        products[item.name] = found
    by_name = {item.name: item for item in CATALOGUE}
    batches: list[Batch] = []
    movements: list[StockMovement] = []
    for name, packs, days_ago, shelf_days, story in _BATCHES:
        item = by_name[name]
        received_on = today - timedelta(days=days_ago)
        batch = Batch(
            id=uuid4(),
            practice_id=pid,
            product_id=products[name].id,
            lot_number=_lot(item, rng),
            expires_on=today + timedelta(days=shelf_days),
            quantity_received_milli=packs * item.pack * U,
            supplier=item.supplier,
            received_on=received_on,
            received_by_user_id=user_id,
        )
        moves: list[tuple[MovementKind, int, str | None, date]] = [
            (MovementKind.RECEIVED, packs * item.pack * U, None, received_on)
        ]
        later = received_on + timedelta(days=max(1, days_ago // 2))
        if story == _WASTE:
            amount = (item.pack // 4 or 1) * U
            moves.append((MovementKind.WASTED, -amount, "Opened, not used within 24 hours", later))
        elif story == _COUNT:
            moves.append((MovementKind.ADJUSTED, -1 * U, "Monthly stock count: one short", later))
        elif story == _LOW:
            gone = packs * item.pack * U - 90 * U
            moves.append((MovementKind.RETURNED, -gone, "Damaged in transit", later))
        elif story == _RECALL:
            batch.quarantined_at = _at(today - timedelta(days=2), 9)
            batch.quarantined_by_user_id = user_id
            batch.quarantine_reason = "Manufacturer field safety notice: lot under investigation"
        batch.on_hand_milli = sum(amount for _, amount, _, _ in moves)
        batches.append(batch)
        for n, (kind, amount, reason, day) in enumerate(moves):
            movements.append(
                StockMovement(
                    id=uuid4(),
                    practice_id=pid,
                    batch_id=batch.id,
                    kind=kind.value,
                    quantity_milli=amount,
                    reason=reason,
                    recorded_by_user_id=user_id,
                    occurred_at=_at(day, 9 + n),
                )
            )
    await queries.add_stock(new_products, batches, movements)
    return len(batches)
