"""A practice's billing settings and its end-of-day cash reconciliations.

``BillingSettings`` is one row per practice (absent: the defaults in
``services.billing.settings``): the refund amount above which a second person (a practice
admin) must approve, the practice's currency, and what happens to a deposit on a late
cancellation or a missed appointment. ``CashReconciliation`` records what the till held at the
end of a day against what the day's cash payments and refunds say it should hold; each count is
a new row, never an edit.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice


class BillingSettings(Entity):
    practice: fields.OneToOneRelation[Practice] = fields.OneToOneField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    currency = fields.CharField(max_length=3, default="GBP")
    refund_approval_limit_minor = fields.BigIntField(default=10000)
    deposit_forfeit_policy = fields.CharField(max_length=24, default="FORFEIT_LATE_OR_DNA")
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "currency": "an ISO 4217 code",
        "deposit_forfeit_policy": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "billing_settings"


class CashReconciliation(Entity):
    """Cash counted at the end of a practice day against the cash expected, and the difference."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    day = fields.DateField()
    currency = fields.CharField(max_length=3, default="GBP")
    expected_minor = fields.BigIntField()
    counted_minor = fields.BigIntField()
    difference_minor = fields.BigIntField()  # counted - expected
    note = fields.TextField(null=True)  # ciphertext
    counted_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {"currency": "an ISO 4217 code"}

    class Meta:
        table = "cash_reconciliation"
        indexes = (("practice_id", "day"),)
        ordering = ["practice_id", "-day", "-created_at"]
