"""Practitioners' professional registrations as the graph shows them, and the inputs of the
mutations that keep them (``practice:write``). Register numbers are public (each regulator
publishes its register), so they are shown to readers of the practice's diary."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from db.models import ProfessionalRegistration as RegistrationModel
from graph.ids import IdFields
from graph.schema.scheduling_kinds import RegistrationBody
from services.scheduling import kinds


@strawberry.type(description="A practitioner's registration with a professional regulator.")
class ProfessionalRegistration:
    id: strawberry.ID
    practitioner_id: strawberry.ID = strawberry.field(description="The registered practitioner.")
    body: RegistrationBody = strawberry.field(description="The regulator.")  # type: ignore[valid-type]
    number: str = strawberry.field(description="The register number (public).")
    expires_on: date = strawberry.field(
        description="Last day it is valid, YYYY-MM-DD; treatments needing a registration are not "
        "booked with this practitioner after it."
    )
    prescriber: bool = strawberry.field(description="It carries prescribing rights.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (it no longer counts); null while in force."
    )

    @classmethod
    def from_model(cls, row: RegistrationModel) -> ProfessionalRegistration:
        return cls(
            id=strawberry.ID(str(row.id)),
            practitioner_id=strawberry.ID(str(row.practitioner_id)),
            body=kinds.RegistrationBody(row.body),
            number=row.number,
            expires_on=row.expires_on,
            prescriber=row.prescriber,
            revoked_at=row.revoked_at,
        )


@strawberry.type(description="The registration recorded, changed or revoked.")
class RegistrationPayload:
    registration: ProfessionalRegistration = strawberry.field(description="Its values now.")

    @classmethod
    def of(cls, row: RegistrationModel) -> RegistrationPayload:
        return cls(registration=ProfessionalRegistration.from_model(row))


NUMBER_DESCRIPTION = (
    "Register number: GMC and GPHC 7 digits, NMC like 12A3456E, GDC digits (spaces and dashes "
    "are ignored)."
)


@strawberry.input(description="Records a practitioner's registration with a regulator.")
class RecordRegistrationInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practitioner's practice.")
    practitioner_id: strawberry.ID = strawberry.field(description="The practitioner.")
    body: RegistrationBody = strawberry.field(  # type: ignore[valid-type]
        description="The regulator (one registration per body; a revoked one is replaced)."
    )
    number: str = strawberry.field(description=NUMBER_DESCRIPTION)
    expires_on: date = strawberry.field(
        description="Last day it is valid, YYYY-MM-DD; not in the past."
    )
    prescriber: bool = strawberry.field(
        default=False, description="It carries prescribing rights; default false."
    )


@strawberry.input(description="New values for a registration; every value is replaced.")
class UpdateRegistrationInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practitioner's practice.")
    registration_id: strawberry.ID = strawberry.field(description="The registration to change.")
    number: str = strawberry.field(description=NUMBER_DESCRIPTION)
    expires_on: date = strawberry.field(
        description="Last day it is valid, YYYY-MM-DD (a past day records a lapse)."
    )
    prescriber: bool = strawberry.field(default=False, description="It carries prescribing rights.")


@strawberry.input(description="Revokes a registration: from now on it no longer counts.")
class RevokeRegistrationInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practitioner's practice.")
    registration_id: strawberry.ID = strawberry.field(description="The registration to revoke.")
