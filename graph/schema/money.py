"""The one GraphQL shape of money: exact minor units, the currency, and a display string."""

from __future__ import annotations

import strawberry

from services.billing import money


@strawberry.type(
    name="Money",
    description="An exact amount of money: integer minor units (pence for GBP) and an ISO 4217 "
    "currency code. Never a float; `formatted` is for display only.",
)
class MoneyType:
    amount: int = strawberry.field(
        description="The amount in the currency's minor unit (pence), negative for credits."
    )
    currency: str = strawberry.field(description="ISO 4217 code, e.g. GBP.")
    formatted: str = strawberry.field(description="For display, e.g. £1,234.50.")

    @classmethod
    def from_money(cls, value: money.Money) -> MoneyType:
        return cls(amount=value.minor, currency=value.currency, formatted=value.formatted())


@strawberry.input(
    name="MoneyInput",
    description="An amount to charge or pay: integer minor units (pence) and the currency.",
)
class MoneyInput:
    amount: int = strawberry.field(description="Minor units (pence); must be positive.")
    currency: str = strawberry.field(default="GBP", description="ISO 4217 code (GBP).")

    def to_money(self, field: str = "amount", *, allow_zero: bool = False) -> money.Money:
        money.checked(self.amount, field, allow_zero=allow_zero)
        return money.Money(self.amount, self.currency)
