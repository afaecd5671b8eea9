"""Exact amounts: a client's decimal (``"2.5"`` units, ``"0.55"`` ml) as integer thousandths,
and back. Never floats."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from services.aesthetics.stock_ledger import MAX_MOVEMENT_MILLI
from services.errors import ValidationFailed

MILLI = Decimal(1000)


def to_milli(value: Decimal | str | int, field: str) -> int:
    """A positive amount with at most three decimals, as thousandths; BAD_USER_INPUT naming
    ``field`` for anything else (zero, negative, NaN, finer than 0.001, absurdly large)."""
    try:
        number = value if isinstance(value, Decimal) else Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise ValidationFailed("Give an amount as a decimal number.", field=field) from None
    if not number.is_finite():
        raise ValidationFailed("Give an amount as a decimal number.", field=field)
    scaled = number * MILLI
    if scaled != scaled.to_integral_value():
        raise ValidationFailed("Amounts have at most three decimals.", field=field)
    milli = int(scaled)
    if milli <= 0:
        raise ValidationFailed("Give an amount greater than zero.", field=field)
    if milli > MAX_MOVEMENT_MILLI:
        raise ValidationFailed("That amount is not plausible.", field=field)
    return milli


@lru_cache(maxsize=4096)
def from_milli(milli: int) -> Decimal:
    """Thousandths as an exact decimal without trailing zeros (2500 -> 2.5, 3000 -> 3)."""
    value = (Decimal(milli) / MILLI).normalize()
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value
