"""A practice's billing settings as the graph shows them, and the input that changes them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graph.ids import IdFields
from graph.schema.money import MoneyInput, MoneyType
from services.billing import settings
from services.billing.money import Money

DepositForfeitPolicy = strawberry.enum(
    settings.ForfeitPolicy,
    name="DepositForfeitPolicy",
    description="What a held deposit does when its appointment is cancelled late or missed: "
    "FORFEIT_LATE_OR_DNA (the practice keeps it; a timely cancellation refunds it) or "
    "ALWAYS_REFUND.",
)


@strawberry.type(
    description="A practice's billing settings (the defaults until a practice admin changes them)."
)
class BillingSettings:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    currency: str = strawberry.field(description="The practice's ISO 4217 currency.")
    refund_approval_limit: MoneyType = strawberry.field(
        description="A refund above this needs a practice admin's approval (zero: every refund)."
    )
    deposit_forfeit_policy: DepositForfeitPolicy = strawberry.field(  # type: ignore[valid-type]
        description="What a deposit does on a late cancellation or a missed appointment."
    )
    updated_at: datetime | None = strawberry.field(
        description="When they were last changed; null while the practice has the defaults."
    )

    @classmethod
    def from_view(cls, view: settings.SettingsView) -> BillingSettings:
        s = view.settings
        return cls(
            practice_id=strawberry.ID(str(view.practice_id)),
            currency=s.currency,
            refund_approval_limit=MoneyType.from_money(
                Money(s.refund_approval_limit_minor, s.currency)
            ),
            deposit_forfeit_policy=s.deposit_forfeit_policy,
            updated_at=view.updated_at,
        )


@strawberry.input(
    description="Billing settings to change; a setting left out (or null) stays as it is."
)
class UpdateBillingSettingsInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    currency: str | None = strawberry.field(
        default=None,
        description="A supported ISO 4217 code (GBP, EUR, USD); refused (CONFLICT) once the "
        "practice has issued invoices or taken payments.",
    )
    refund_approval_limit: MoneyInput | None = strawberry.field(
        default=None,
        description="Refunds above this need a practice admin's approval: zero or more, in the "
        "practice's currency (after this change).",
    )
    deposit_forfeit_policy: DepositForfeitPolicy | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="What a deposit does on a late cancellation or a DNA."
    )


@strawberry.type(description="The practice's billing settings after the change.")
class UpdateBillingSettingsPayload:
    settings: BillingSettings | None = strawberry.field(description="The settings now in force.")
