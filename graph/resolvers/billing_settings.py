"""A practice's billing settings: read them, or (a practice admin) change them. Parse, call one
service, map back."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.billing_settings import (
    BillingSettings,
    UpdateBillingSettingsInput,
    UpdateBillingSettingsPayload,
)
from services.billing import settings
from services.policy import Scope


@strawberry.type
class BillingSettingsQueries:
    @strawberry.field(
        description="A practice's billing settings: currency, refund approval limit, deposit "
        "policy (billing:read in the practice).",
        extensions=requires(Scope.BILLING_READ),
    )
    async def billing_settings(
        self, info: Info, practice_id: strawberry.ID
    ) -> BillingSettings | None:
        view = await settings.read(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return BillingSettings.from_view(view)


@strawberry.type
class BillingSettingsMutations:
    @strawberry.mutation(
        description="Change a practice's billing settings (a practice admin: billing:write and "
        "practice:write in the practice). Audited with the old and new values.",
        extensions=requires(Scope.BILLING_WRITE, Scope.PRACTICE_WRITE),
    )
    async def update_billing_settings(
        self, info: Info, input: UpdateBillingSettingsInput
    ) -> UpdateBillingSettingsPayload | None:
        limit = input.refund_approval_limit
        view = await settings.update(
            info.context.principal,
            practice_id=input.ids.practice_id,
            currency=input.currency,
            refund_approval_limit=None
            if limit is None
            else limit.to_money("refundApprovalLimit", allow_zero=True),
            deposit_forfeit_policy=input.deposit_forfeit_policy,
        )
        return UpdateBillingSettingsPayload(settings=BillingSettings.from_view(view))
