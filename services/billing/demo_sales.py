"""Demo retail sales: where the practice stocks a retail product (kind OTHER, not
prescription-only, e.g. the aesthetic practice's aftercare balm), two patients buy it at the
desk through the real sale service (SOLD stock movements, audit rows, ``billing`` events), dated
before the demo month of invoices so ``invoiceUninvoicedItems`` bills them as PRODUCT lines.
A practice without such stock sells nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta
from uuid import UUID

from db.models import Patient, Practice, User
from db.queries import aesthetic_stock as stock_queries
from services import tenant_gate
from services.auth.principal_loader import principal_for_user
from services.billing import product_sales
from services.policy import Scope
from services.principal import RequestMeta

BUYERS = 2
SOLD_DAYS_AGO = 32  # before the earliest demo invoice (30 days ago)


async def seed_sales(
    practice: Practice, patients: list[Patient], staff_user: User, rng: random.Random
) -> int:
    """How many sales were made (0 without retail stock)."""
    principal = await principal_for_user(
        staff_user, mfa_passed=True, claims={}, meta=RequestMeta(ip="10.0.0.21")
    )
    pid = tenant_gate.practice_for(principal, practice.id, Scope.BILLING_WRITE)
    day = date.today() - timedelta(days=SOLD_DAYS_AGO)
    batches = await stock_queries.batches(pid)
    products = await stock_queries.products_by_id(
        tenant_gate.organization_of(practice), {UUID(str(b.product_id)) for b in batches}
    )
    retail = [
        b
        for b in batches
        if products[UUID(str(b.product_id))].kind == "OTHER"
        and not products[UUID(str(b.product_id))].prescription_only
        and b.quarantined_at is None
        and b.received_on <= day <= b.expires_on
        and b.on_hand_milli >= 2 * BUYERS * product_sales.MILLI
    ]
    if not retail or not patients:
        return 0
    made = 0
    for patient in rng.sample(patients, min(BUYERS, len(patients))):
        views = await product_sales.sell_products(
            principal,
            patient_id=patient.id,
            items=[product_sales.SaleItem(UUID(str(retail[0].id)), rng.randint(1, 2))],
            sold_on=day,
        )
        made += len(views)
    return made
