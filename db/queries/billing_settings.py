"""Writing a practice's billing settings: the row locked for a change, and whether the practice
has money on its books already (which freezes its currency). The practice comes first."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import BillingSettings, Invoice, Payment
from db.tenancy import PracticeId


async def locked(practice_id: PracticeId, connection: BaseDBAsyncClient) -> BillingSettings:
    """The settings row, row-locked for this transaction, created with the defaults the first
    time (two writers may race to create it: the loser's insert is ignored and both lock the one
    row, in turn)."""
    await BillingSettings.bulk_create(
        [BillingSettings(practice_id=practice_id)], ignore_conflicts=True, using_db=connection
    )
    query = BillingSettings.filter(practice_id=practice_id).select_for_update()
    return await query.using_db(connection).get()


async def money_recorded(practice_id: PracticeId, connection: BaseDBAsyncClient) -> bool:
    """Whether the practice has issued an invoice (or credit note) or recorded any payment,
    deposit or refund, in any state (a PENDING card payment is money on its way)."""
    issued = Invoice.filter(practice_id=practice_id).exclude(status="DRAFT")
    if await issued.using_db(connection).exists():
        return True
    return await Payment.filter(practice_id=practice_id).using_db(connection).exists()
