"""A practice's billing settings, with the defaults a practice has until it sets its own."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from db.queries import payments as queries
from db.tenancy import PracticeId

DEFAULT_REFUND_APPROVAL_LIMIT_MINOR = 10_000  # £100.00


class ForfeitPolicy(StrEnum):
    """What a held deposit does when its appointment is cancelled late or missed."""

    FORFEIT_LATE_OR_DNA = "FORFEIT_LATE_OR_DNA"  # kept by the practice; otherwise refunded
    ALWAYS_REFUND = "ALWAYS_REFUND"


@dataclass(frozen=True, slots=True)
class BillingSettings:
    currency: str
    refund_approval_limit_minor: int
    deposit_forfeit_policy: ForfeitPolicy


async def of(practice_id: PracticeId) -> BillingSettings:
    row = await queries.settings(practice_id)
    if row is None:
        return BillingSettings(
            "GBP", DEFAULT_REFUND_APPROVAL_LIMIT_MINOR, ForfeitPolicy.FORFEIT_LATE_OR_DNA
        )
    return BillingSettings(
        row.currency,
        row.refund_approval_limit_minor,
        ForfeitPolicy(row.deposit_forfeit_policy),
    )
