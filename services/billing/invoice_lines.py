"""What a new invoice line is before it is saved: its description, price, VAT category, the
procedure and tooth it bills, and the work it claims (``source`` / ``source_id``).

A module of its own so the invoices service and the collectors of uninvoiced work
(services/billing/uninvoiced.py) share the one definition without importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from uuid import UUID

from services.billing.money import Money
from services.billing.vat import VatCategory


class Source(StrEnum):
    PLAN_ITEM = "PLAN_ITEM"
    INJECTABLE_TREATMENT = "INJECTABLE_TREATMENT"
    PRODUCT = "PRODUCT"
    MANUAL = "MANUAL"
    NHS_COURSE = "NHS_COURSE"


@dataclass(frozen=True, slots=True)
class NewLine:
    description: str
    unit: Money
    vat_category: VatCategory
    quantity: int = 1
    code: str | None = None
    tooth: str | None = None  # FDI text, e.g. "36"
    source: Source = Source.MANUAL
    source_id: UUID | None = None  # the plan item, treatment, NHS course or sale it claims
    service_on: date | None = None  # the day of the work, or of the sale


@dataclass(frozen=True, slots=True)
class ProductPrice:
    """A caller's price of one unit (or ml) of a product, used instead of the fee schedule's
    when raising a draft from uninvoiced work."""

    product_id: UUID
    unit: Money
