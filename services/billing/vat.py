"""UK VAT as dated law, not settings: which rate applies to what, from which day.

Dental treatment by a registered dental professional is exempt (VAT Act 1994, Sch 9 Group 7);
cosmetic aesthetic treatment (no medical purpose) is standard-rated; goods sold over the counter
are standard-rated. A rate change is a new row with its start date, so an invoice line takes the
rate in force on its tax point and an old invoice never changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from services.billing.money import Money, vat_on


class VatCategory(StrEnum):
    EXEMPT = "EXEMPT"  # dental and medical care: no VAT, and not "zero-rated"
    STANDARD = "STANDARD"  # cosmetic treatments, retail products
    REDUCED = "REDUCED"
    ZERO = "ZERO"


@dataclass(frozen=True, slots=True)
class VatRate:
    category: VatCategory
    basis_points: int  # 2000 = 20 %
    valid_from: date
    valid_to: date | None = None  # inclusive last day, None while in force


RATES: tuple[VatRate, ...] = (
    VatRate(VatCategory.STANDARD, 1750, date(1991, 4, 1), date(2008, 11, 30)),
    VatRate(VatCategory.STANDARD, 1500, date(2008, 12, 1), date(2009, 12, 31)),
    VatRate(VatCategory.STANDARD, 1750, date(2010, 1, 1), date(2011, 1, 3)),
    VatRate(VatCategory.STANDARD, 2000, date(2011, 1, 4)),
    VatRate(VatCategory.REDUCED, 500, date(1997, 9, 1)),
    VatRate(VatCategory.ZERO, 0, date(1973, 4, 1)),
    VatRate(VatCategory.EXEMPT, 0, date(1973, 4, 1)),
)


def rate_on(category: VatCategory, tax_point: date, rates: tuple[VatRate, ...] = RATES) -> int:
    """The basis points of ``category`` in force on ``tax_point``."""
    for rate in rates:
        if (
            rate.category is category
            and rate.valid_from <= tax_point
            and (rate.valid_to is None or tax_point <= rate.valid_to)
        ):
            return rate.basis_points
    raise LookupError(f"no {category} VAT rate on {tax_point}")


def line_vat(net: Money, category: VatCategory, tax_point: date) -> Money:
    """The VAT of one invoice line (rounded half up per line, see ``money``)."""
    return vat_on(net, rate_on(category, tax_point))
