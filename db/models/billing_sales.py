"""Retail sales: products (aftercare skincare and the like) sold to a patient from a practice's
stock. A sale is the record of what left the shelf for whom; the stock ledger holds its SOLD
movement, and invoicing bills each sale once as a PRODUCT line, priced from the fee schedule in
force on the day it was sold."""

from tortoise import fields

from db.models.aesthetic_stock import Batch, Product, StockMovement
from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class ProductSale(Entity):
    """One product sold to a patient from one batch: how many, which day, its SOLD movement."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name=False, on_delete=fields.RESTRICT
    )
    product_id: str
    batch: fields.ForeignKeyRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name=False, on_delete=fields.RESTRICT
    )
    batch_id: str
    movement: fields.ForeignKeyRelation[StockMovement] = fields.ForeignKeyField(
        "models.StockMovement", related_name=False, on_delete=fields.RESTRICT
    )
    movement_id: str
    quantity = fields.IntField()  # whole units of the product (items, or ml)
    sold_on = fields.DateField()  # the practice's day of the sale
    sold_by_user_id = fields.UUIDField(null=True)

    class Meta:
        table = "product_sale"
        indexes = (("patient_id", "sold_on"), ("practice_id", "sold_on"))
        ordering = ["patient_id", "sold_on"]
