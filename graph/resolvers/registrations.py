"""Practitioners' professional registrations: record, update and revoke (``practice:write``).
Reading them is the ``registrations`` field of a ``Practitioner``."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.registrations import (
    RecordRegistrationInput,
    RegistrationPayload,
    RevokeRegistrationInput,
    UpdateRegistrationInput,
)
from services.aesthetics import registrations
from services.policy import Scope

ADMIN = requires(Scope.PRACTICE_WRITE)


@strawberry.type
class RegistrationMutations:
    @strawberry.mutation(
        description="Records a practitioner's professional registration (GMC, NMC, GDC, GPHC).",
        extensions=ADMIN,
    )
    async def record_registration(
        self, info: Info, input: RecordRegistrationInput
    ) -> RegistrationPayload | None:
        return RegistrationPayload.of(
            await registrations.record(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
                body=input.body,
                number=input.number,
                expires_on=input.expires_on,
                prescriber=input.prescriber,
            )
        )

    @strawberry.mutation(
        description="Changes a registration's number, expiry and prescribing rights.",
        extensions=ADMIN,
    )
    async def update_registration(
        self, info: Info, input: UpdateRegistrationInput
    ) -> RegistrationPayload | None:
        return RegistrationPayload.of(
            await registrations.update(
                info.context.principal,
                practice_id=input.ids.practice_id,
                registration_id=input.ids.registration_id,
                number=input.number,
                expires_on=input.expires_on,
                prescriber=input.prescriber,
            )
        )

    @strawberry.mutation(
        description="Revokes a registration: it no longer counts for bookings.", extensions=ADMIN
    )
    async def revoke_registration(
        self, info: Info, input: RevokeRegistrationInput
    ) -> RegistrationPayload | None:
        return RegistrationPayload.of(
            await registrations.revoke(
                info.context.principal,
                practice_id=input.ids.practice_id,
                registration_id=input.ids.registration_id,
            )
        )
