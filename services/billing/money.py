"""Money as integer minor units plus an ISO 4217 currency code, and the rounding rules, written
once.

Rules (the accountant's, stated here and nowhere else):
- Amounts are integers of the currency's minor unit (pence for GBP). No float ever holds money.
- VAT is worked out per invoice line, on the line's net amount, and rounded half up to the minor
  unit (HMRC allows per-line or per-invoice rounding; per line makes each line's VAT stable when
  other lines change). ``rate_basis_points``: 2000 = 20 %.
- Splitting an amount (instalments, a payment across invoices, a discount across lines) hands out
  the remainder a minor unit at a time to the first shares (largest-remainder for weights), so the
  parts always sum exactly to the whole: never a lost or invented penny.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from services.errors import ValidationFailed

# Minor units per major unit, for the currencies a practice may bill in.
MINOR_UNITS: dict[str, int] = {"GBP": 100, "EUR": 100, "USD": 100}
SYMBOLS: dict[str, str] = {"GBP": "£", "EUR": "€", "USD": "$"}
# Larger than any one bill a clinic raises: £10,000,000.00. A bigger number is a typo or an attack.
MAX_MINOR = 1_000_000_000


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An exact amount: ``minor`` units of ``currency``."""

    minor: int
    currency: str = "GBP"

    def __post_init__(self) -> None:
        if self.currency not in MINOR_UNITS:
            raise ValidationFailed(f"Unsupported currency {self.currency!r}.", field="currency")
        if not isinstance(self.minor, int) or isinstance(self.minor, bool):
            raise TypeError("Money holds an integer number of minor units")

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.minor, self.currency)

    def _same(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise ValidationFailed(
                f"Cannot combine {self.currency} with {other.currency}.", field="currency"
            )
        return other

    def times(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)

    @property
    def is_zero(self) -> bool:
        return self.minor == 0

    def formatted(self) -> str:
        """``£1,234.50``; negative as ``-£12.00``."""
        per = MINOR_UNITS[self.currency]
        places = len(str(per)) - 1
        major = Decimal(abs(self.minor)) / per
        text = f"{SYMBOLS.get(self.currency, self.currency + ' ')}{major:,.{places}f}"
        return f"-{text}" if self.minor < 0 else text


def zero(currency: str = "GBP") -> Money:
    return Money(0, currency)


def total(amounts: Sequence[Money], currency: str = "GBP") -> Money:
    result = zero(amounts[0].currency if amounts else currency)
    for amount in amounts:
        result = result + amount
    return result


def checked(
    minor: int, field: str, *, allow_zero: bool = False, allow_negative: bool = False
) -> int:
    """An amount a person could mean; BAD_USER_INPUT naming ``field`` otherwise."""
    if minor < 0 and not allow_negative:
        raise ValidationFailed("An amount may not be negative.", field=field)
    if minor == 0 and not allow_zero:
        raise ValidationFailed("Give an amount greater than zero.", field=field)
    if abs(minor) > MAX_MINOR:
        raise ValidationFailed("That amount is not plausible.", field=field)
    return minor


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half away from zero, in integers only."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    quotient = (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal(1), rounding=ROUND_HALF_UP
    )
    return int(quotient)


def vat_on(net: Money, rate_basis_points: int) -> Money:
    """VAT on one line's net amount at ``rate_basis_points`` (2000 = 20 %), rounded half up."""
    return Money(round_half_up(net.minor * rate_basis_points, 10_000), net.currency)


def split(whole: Money, weights: Sequence[int]) -> list[Money]:
    """``whole`` shared in proportion to ``weights`` (non-negative, not all zero); the parts sum
    exactly to ``whole`` (largest remainder first, ties to the earlier share)."""
    if not weights or any(w < 0 for w in weights) or sum(weights) == 0:
        raise ValueError("weights must be non-negative and not all zero")
    sign = -1 if whole.minor < 0 else 1
    amount, weight_sum = abs(whole.minor), sum(weights)
    floors = [amount * w // weight_sum for w in weights]
    remainders = [amount * w % weight_sum for w in weights]
    left = amount - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:left]:
        floors[i] += 1
    return [Money(sign * part, whole.currency) for part in floors]


def allocate(amount: Money, dues: Sequence[Money]) -> list[Money]:
    """Apply ``amount`` to ``dues`` in order (oldest first), each up to what it owes; returns the
    part each receives (what is left over is ``amount - sum``: credit on account)."""
    left = amount.minor
    parts: list[Money] = []
    for due in dues:
        share = max(0, min(left, amount._same(due).minor))
        parts.append(Money(share, amount.currency))
        left -= share
    return parts
