"""Consent ledger, contact preferences and contact checks: parse, call one service, map."""

from __future__ import annotations

import strawberry

from db.models.consent import CaptureMethod, ConsentPurpose
from graph.context import Info
from graph.ids import parse_id
from graph.permissions.fields import requires
from graph.schema.consent import (
    ChannelEnum,
    Consent,
    ContactCheck,
    ContactPreferences,
    ContactPurposeEnum,
    RecordConsentInput,
    RecordConsentPayload,
    UpdateContactPreferencesInput,
    UpdateContactPreferencesPayload,
    WithdrawConsentInput,
    WithdrawConsentPayload,
)
from graph.schema.pagination import Connection, decode_cursor, page_size
from services.consent import contact, ledger, preferences, privacy_access
from services.consent.ledger import Decision
from services.errors import ValidationFailed
from services.policy import Scope


def _after(cursor: str | None) -> int | None:
    position = decode_cursor(cursor)
    if position is None:
        return None
    if len(position) != 1 or not isinstance(position[0], int):
        raise ValidationFailed("'after' is not a valid cursor.", field="after")
    return position[0]


def _treatment(value: strawberry.ID | None) -> object:
    return None if value is None else parse_id(value, "treatmentId")


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="A patient's current consents: the latest decision per purpose.",
        extensions=requires(Scope.PATIENT_READ),
    )
    async def patient_consents(self, info: Info, patient_id: strawberry.ID) -> list[Consent] | None:
        rows = await ledger.current(
            info.context.principal, patient_id=parse_id(patient_id, "patientId")
        )
        return [Consent.from_model(r) for r in rows]

    @strawberry.field(
        description="Every consent decision of a patient, newest first (never rewritten).",
        extensions=requires(Scope.PATIENT_READ),
    )
    async def consent_history(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Consent] | None:
        rows, has_next = await ledger.history(
            info.context.principal,
            patient_id=parse_id(patient_id, "patientId"),
            first=page_size(first),
            after_seq=_after(after),
        )
        return Connection[Consent].build(
            rows, Consent.from_model, lambda r: [r.seq], has_next=has_next
        )

    @strawberry.field(
        description="Channels the patient accepts.", extensions=requires(Scope.PATIENT_READ)
    )
    async def contact_preferences(
        self, info: Info, patient_id: strawberry.ID
    ) -> ContactPreferences | None:
        found = await preferences.get(
            info.context.principal, patient_id=parse_id(patient_id, "patientId")
        )
        return ContactPreferences.of(found)

    @strawberry.field(
        description="Whether a message may be sent now (consent, preferences, restriction).",
        extensions=requires(Scope.PATIENT_READ),
    )
    async def can_contact(
        self,
        info: Info,
        patient_id: strawberry.ID,
        channel: ChannelEnum,  # type: ignore[valid-type]
        purpose: ContactPurposeEnum,  # type: ignore[valid-type]
    ) -> ContactCheck | None:
        patient = await privacy_access.readable(
            info.context.principal, parse_id(patient_id, "patientId")
        )
        decision = await contact.can_contact(
            patient, contact.Channel(channel), contact.ContactPurpose(purpose)
        )
        return ContactCheck.of(decision)


@strawberry.type
class ConsentMutations:
    @strawberry.mutation(description="Append a consent decision (granted or refused).")
    async def record_consent(
        self, info: Info, input: RecordConsentInput
    ) -> RecordConsentPayload | None:
        row = await ledger.record(
            info.context.principal,
            patient_id=parse_id(input.patient_id, "patientId"),
            decision=input.decision(_treatment(input.treatment_id)),
        )
        return RecordConsentPayload(consent=Consent.from_model(row))

    @strawberry.mutation(description="Withdraw a current consent; takes effect immediately.")
    async def withdraw_consent(
        self, info: Info, input: WithdrawConsentInput
    ) -> WithdrawConsentPayload | None:
        decision = Decision(
            purpose=ConsentPurpose(input.purpose),
            granted=False,
            policy_version=input.policy_version,
            method=CaptureMethod(input.method),
            partner_client_id=input.partner_client_id,
            treatment_id=_treatment(input.treatment_id),  # type: ignore[arg-type]
            evidence_ref=input.evidence_ref,
        )
        row = await ledger.record(
            info.context.principal,
            patient_id=parse_id(input.patient_id, "patientId"),
            decision=decision,
            withdrawal=True,
        )
        return WithdrawConsentPayload(consent=Consent.from_model(row))

    @strawberry.mutation(description="Change which channels the patient accepts.")
    async def update_contact_preferences(
        self, info: Info, input: UpdateContactPreferencesInput
    ) -> UpdateContactPreferencesPayload | None:
        found = await preferences.update(
            info.context.principal,
            patient_id=parse_id(input.patient_id, "patientId"),
            changes=input.changes(),
        )
        return UpdateContactPreferencesPayload(preferences=ContactPreferences.of(found))
