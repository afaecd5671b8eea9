"""Aesthetic products, the batches a practice receives, and every movement of stock.

Amounts are integers in thousandths of the product's unit (``_milli``: 1 unit of toxin = 1000,
1 ml of filler = 1000), so sums are exact on both engines. Movements are the truth; a batch's
``on_hand_milli`` is their running sum, moved in the same transaction by a conditional UPDATE
that refuses to go below zero (see ``services/aesthetics/stock_ledger.py``).
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Organization, Practice


class Product(Entity):
    """A product an organisation's practices stock (one catalogue per organisation, so a lot
    number recalled by a manufacturer is found across all its practices)."""

    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name=False, on_delete=fields.RESTRICT
    )
    organization_id: str
    name = fields.CharField(max_length=120)
    brand = fields.CharField(max_length=120)
    kind = fields.CharField(max_length=16)  # TOXIN, FILLER, SKIN_BOOSTER, OTHER
    unit = fields.CharField(max_length=8)  # UNITS, ML
    prescription_only = fields.BooleanField(default=False)
    reorder_level_milli = fields.BigIntField(default=0)
    active = fields.BooleanField(default=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a product's trade name, the same for every patient",
        "brand": "a manufacturer's brand, the same for every patient",
        "kind": "a fixed code from a closed list, not free text",
        "unit": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "aesthetic_product"
        unique_together = (("organization_id", "name"),)
        ordering = ["organization_id", "name"]


class Batch(Entity):
    """One delivered lot of a product at one practice."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name=False, on_delete=fields.RESTRICT
    )
    product_id: str
    lot_number = fields.CharField(max_length=64)
    expires_on = fields.DateField()
    quantity_received_milli = fields.BigIntField()
    on_hand_milli = fields.BigIntField(default=0)
    supplier = fields.CharField(max_length=120, default="")
    received_on = fields.DateField()
    received_by_user_id = fields.UUIDField(null=True)
    quarantined_at = fields.DatetimeField(null=True)
    quarantined_by_user_id = fields.UUIDField(null=True)
    quarantine_reason = fields.TextField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "lot_number": "a manufacturer's lot number printed on the box, searched by recalls",
        "supplier": "a wholesaler's name, not patient data",
        "quarantine_reason": "why a product lot is withheld (a safety notice), not patient data",
    }

    class Meta:
        table = "aesthetic_batch"
        unique_together = (("practice_id", "product_id", "lot_number"),)
        indexes = (("lot_number",), ("practice_id", "expires_on"))
        ordering = ["practice_id", "expires_on"]


class StockMovement(Entity):
    """One signed change to a batch's stock: RECEIVED, USED, SOLD, WASTED, RETURNED or ADJUSTED."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    batch: fields.ForeignKeyRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name=False, on_delete=fields.RESTRICT
    )
    batch_id: str
    kind = fields.CharField(max_length=16)
    quantity_milli = fields.BigIntField()  # signed: received +, used/wasted/returned -
    reason = fields.TextField(null=True)
    treatment_id = fields.UUIDField(null=True)  # the injectable treatment that used it
    recorded_by_user_id = fields.UUIDField(null=True)
    occurred_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "reason": "a stock-keeping note about the product (breakage, count), not patient data",
    }

    class Meta:
        table = "aesthetic_stock_movement"
        indexes = (("batch_id", "occurred_at"), ("practice_id", "occurred_at"))
        ordering = ["batch_id", "occurred_at"]
