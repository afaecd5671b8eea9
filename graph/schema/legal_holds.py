"""Legal holds: who placed them, why, until when, and who lifted them."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from db.models import LegalHold as HoldModel
from graph.ids import IdFields


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="A legal hold: retention and erasure wait while it is in force.")
class LegalHold:
    id: strawberry.ID
    practice_id: strawberry.ID = strawberry.field(description="The practice held.")
    patient_id: strawberry.ID | None = strawberry.field(
        description="The patient held; null when the whole practice is held."
    )
    reason: str = strawberry.field(description="Why (case reference, regulator, …).")
    held_until: date | None = strawberry.field(
        description="Last day the hold applies; null: until lifted."
    )
    placed_by_id: strawberry.ID | None = strawberry.field(description="User who placed it.")
    placed_at: datetime = strawberry.field(description="When it was placed, ISO 8601 with offset.")
    released_at: datetime | None = strawberry.field(
        description="When it was lifted; null while not lifted."
    )
    released_by_id: strawberry.ID | None = strawberry.field(description="User who lifted it.")
    release_reason: str | None = strawberry.field(description="Why it was lifted.")

    @classmethod
    def from_model(cls, row: HoldModel) -> LegalHold:
        return cls(
            id=strawberry.ID(str(row.id)),
            practice_id=strawberry.ID(str(row.practice_id)),
            patient_id=_id(row.patient_id),
            reason=row.reason,
            held_until=row.held_until,
            placed_by_id=_id(row.placed_by_user_id),
            placed_at=row.created_at,
            released_at=row.released_at,
            released_by_id=_id(row.released_by_user_id),
            release_reason=row.release_reason,
        )


@strawberry.input(description="Place a legal hold on one patient or on a whole practice.")
class PlaceLegalHoldInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    patient_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient; omit to hold every record of the practice."
    )
    reason: str = strawberry.field(description="Why, 3-300 characters (no health data).")
    until: date | None = strawberry.field(
        default=None, description="Last day it applies (today or later); omit: until lifted."
    )


@strawberry.type(description="The legal hold now in force.")
class PlaceLegalHoldPayload:
    hold: LegalHold = strawberry.field(description="The new hold.")


@strawberry.input(description="Lift a legal hold.")
class LiftLegalHoldInput(IdFields):
    hold_id: strawberry.ID = strawberry.field(description="The hold in force.")
    reason: str = strawberry.field(description="Why it is lifted, 3-300 characters.")


@strawberry.type(description="The lifted legal hold.")
class LiftLegalHoldPayload:
    hold: LegalHold = strawberry.field(description="The hold with who lifted it, when and why.")
