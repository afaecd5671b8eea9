"""Consent ledger, contact preferences and contact checks: parse, call one service, map."""

from __future__ import annotations

import strawberry

from db.models.consent import CaptureMethod, ConsentPurpose
from graph.context import Info
from graph.ids import id_argument
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
from graph.schema.pagination import Connection, after_key, page_size
from services.consent import contact, ledger, preferences, privacy_access
from services.consent.ledger import Decision
from services.policy import Scope


@strawberry.type
class ConsentQueries:
    @strawberry.field(
        description="A patient's current consents: the latest decision per purpose.",
        extensions=requires(Scope.PATIENT_READ),
    )
    async def patient_consents(self, info: Info, patient_id: strawberry.ID) -> list[Consent] | None:
        rows = await ledger.current(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
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
            patient_id=id_argument(patient_id=patient_id),
            first=page_size(first),
            after_seq=after_key(after, int),
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
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
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
            info.context.principal, id_argument(patient_id=patient_id)
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
            patient_id=input.ids.patient_id,
            decision=input.decision(input.optional_ids.treatment_id),
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
            treatment_id=input.optional_ids.treatment_id,
            evidence_ref=input.evidence_ref,
        )
        row = await ledger.record(
            info.context.principal,
            patient_id=input.ids.patient_id,
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
            patient_id=input.ids.patient_id,
            changes=input.changes(),
        )
        return UpdateContactPreferencesPayload(preferences=ContactPreferences.of(found))
