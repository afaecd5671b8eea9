"""Placing, lifting and listing legal holds (``legal_hold:write``)."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.legal_holds import (
    LegalHold,
    LiftLegalHoldInput,
    LiftLegalHoldPayload,
    PlaceLegalHoldInput,
    PlaceLegalHoldPayload,
)
from services.consent import legal_holds
from services.policy import Scope


@strawberry.type
class LegalHoldQueries:
    @strawberry.field(
        description="Legal holds of a practice, oldest first.",
        extensions=requires(Scope.LEGAL_HOLD_WRITE),
    )
    async def legal_holds(
        self,
        info: Info,
        practice_id: strawberry.ID,
        in_force_only: Annotated[
            bool,
            strawberry.argument(
                description="Only holds in force today: not lifted, not past their last day."
            ),
        ] = True,
    ) -> list[LegalHold] | None:
        rows = await legal_holds.listed(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            in_force_only=in_force_only,
        )
        return [LegalHold.from_model(row) for row in rows]


@strawberry.type
class LegalHoldMutations:
    @strawberry.mutation(
        description="Place a legal hold: retention and erasure keep the records while it holds."
    )
    async def place_legal_hold(
        self, info: Info, input: PlaceLegalHoldInput
    ) -> PlaceLegalHoldPayload | None:
        row = await legal_holds.place(
            info.context.principal,
            practice_id=input.ids.practice_id,
            patient_id=input.optional_ids.patient_id,
            reason=input.reason,
            until=input.until,
        )
        return PlaceLegalHoldPayload(hold=LegalHold.from_model(row))

    @strawberry.mutation(description="Lift a legal hold; retention resumes.")
    async def lift_legal_hold(
        self, info: Info, input: LiftLegalHoldInput
    ) -> LiftLegalHoldPayload | None:
        row = await legal_holds.lift(
            info.context.principal,
            hold_id=input.ids.hold_id,
            reason=input.reason,
        )
        return LiftLegalHoldPayload(hold=LegalHold.from_model(row))
