"""The one way stock leaves or enters a batch: a movement row and the batch's running balance,
written together in the caller's unit of work, never below zero.

Treatments call :func:`record` with USED for each injection point, so a treatment and its stock
commit together or not at all; retail sales (services/billing/product_sales.py) with SOLD, one
per item sold; stock screens with waste, returns and adjustments. SOLD is its own kind, not USED:
USED means administered in a treatment (its movement names the treatment, and a lot's recall
follows the injection points), while a sale is a retail supply billed at the standard rate; both
need a usable batch (not quarantined, not expired on the day) and enough on hand.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import Batch, StockMovement
from db.queries import aesthetic_stock as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from services.errors import Conflict, NotFound, ValidationFailed

# No single movement is larger than this (100,000 units or ml): a typo, not a delivery.
MAX_MOVEMENT_MILLI = 100_000 * 1000


class MovementKind(StrEnum):
    RECEIVED = "RECEIVED"
    USED = "USED"
    SOLD = "SOLD"
    WASTED = "WASTED"
    RETURNED = "RETURNED"
    ADJUSTED = "ADJUSTED"


OUTGOING = frozenset(
    {MovementKind.USED, MovementKind.SOLD, MovementKind.WASTED, MovementKind.RETURNED}
)
# Stock that reaches a patient: only from a usable batch (not quarantined, not expired that day).
TO_PATIENT = frozenset({MovementKind.USED, MovementKind.SOLD})


@dataclass(frozen=True, slots=True)
class Move:
    """One change to ask for; ``amount_milli`` is positive except for a downward ADJUSTED."""

    kind: MovementKind
    amount_milli: int
    occurred_at: datetime
    user_id: UUID | None
    reason: str | None = None
    treatment_id: UUID | None = None


def checked_amount(amount_milli: int, field: str, *, signed: bool = False) -> int:
    """A movement size a person could mean; BAD_USER_INPUT naming ``field`` otherwise."""
    if amount_milli == 0 or (amount_milli < 0 and not signed):
        raise ValidationFailed("Give an amount greater than zero.", field=field)
    if abs(amount_milli) > MAX_MOVEMENT_MILLI:
        raise ValidationFailed("That amount is not plausible for one movement.", field=field)
    return amount_milli


def usable(batch: Batch, on: date, field: str) -> None:
    """Refuse a quarantined or expired batch (CONFLICT naming ``field``)."""
    if batch.quarantined_at is not None:
        raise Conflict("This batch is quarantined and may not be used.", field=field)
    if batch.expires_on < on:
        raise Conflict(f"This batch expired on {batch.expires_on.isoformat()}.", field=field)


async def record(
    uow: UnitOfWork,
    practice_id: PracticeId,
    batch_id: UUID,
    move: Move,
    *,
    field: str = "batchId",
    on: date | None = None,
) -> StockMovement:
    """Write ``move`` against the batch in ``uow``. Outgoing stock needs a usable batch (``on``:
    the day it is used, default the movement's) and enough on hand; refusals raise and write
    nothing (the caller's transaction rolls back)."""
    batch = await queries.batch(practice_id, batch_id, uow.connection)
    if batch is None:
        raise NotFound("Batch")
    signed = move.kind is MovementKind.ADJUSTED
    amount = checked_amount(move.amount_milli, "amount", signed=signed)
    delta = -amount if move.kind in OUTGOING else amount
    day = (on or move.occurred_at.date()) if move.kind in TO_PATIENT else None
    if day is not None:
        usable(batch, day, field)
    if delta < 0 and not await queries.take(
        practice_id, batch.id, -delta, uow.connection, usable_on=day
    ):
        if day is not None:  # quarantined by a transaction that committed while we waited
            again = await queries.batch(practice_id, batch.id, uow.connection)
            usable(again or batch, day, field)
        raise Conflict("Not enough of this batch is on hand for that amount.", field="amount")
    if delta > 0:
        await queries.put(practice_id, batch.id, delta, uow.connection)
    movement = StockMovement(
        id=uuid4(),
        practice_id=practice_id,
        batch_id=batch.id,
        kind=move.kind.value,
        quantity_milli=delta,
        reason=move.reason,
        treatment_id=move.treatment_id,
        recorded_by_user_id=move.user_id,
        occurred_at=move.occurred_at,
    )
    await movement.save(using_db=uow.connection)
    return movement
