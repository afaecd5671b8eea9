"""A practice's NHS England contract, year by year: how many UDAs it is commissioned to deliver.

One row per contract year (``starts_on`` to the day before the same date a year later; most
start on 1 April). The NHS activity report sets UDAs delivered against the year's target, pro
rata by days, and the year-to-date position against the 96-102 % tolerance band. A change of
target from one year to the next is a new row, so past years keep the target they had.
"""

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice


class NhsContractYear(Entity):
    """One contract year of a practice's NHS England contract and its annual UDA target."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    starts_on = fields.DateField()
    annual_uda_target = fields.IntField()  # whole UDAs a year
    set_by_user_id = fields.UUIDField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "nhs_contract_year"
        unique_together = (("practice_id", "starts_on"),)
        ordering = ["practice_id", "starts_on"]
