"""The database itself refuses negative stock on PostgreSQL, whatever code tries it."""

from __future__ import annotations

from datetime import date

import pytest
from tortoise.exceptions import IntegrityError, OperationalError

from db.models import Batch, Product
from tests import factories


@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
async def test_postgres_refuses_an_update_that_takes_stock_below_zero(db: str) -> None:
    practice = await factories.practice()
    product = await Product.create(
        organization_id=practice.organization_id,
        name="Toxin",
        brand="B",
        kind="TOXIN",
        unit="UNITS",
    )
    batch = await Batch.create(
        practice_id=practice.id,
        product_id=product.id,
        lot_number="L1",
        expires_on=date(2030, 1, 1),
        quantity_received_milli=1000,
        on_hand_milli=1000,
        received_on=date(2026, 1, 1),
    )
    await Batch.filter(id=batch.id).update(on_hand_milli=0)  # the floor itself is allowed
    with pytest.raises((IntegrityError, OperationalError)):
        await Batch.filter(id=batch.id).update(on_hand_milli=-1)
    assert (await Batch.get(id=batch.id)).on_hand_milli == 0
