"""Consent ledger entries, contact preferences and contact decisions as the graph shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.models import ConsentRecord
from db.models.consent import CaptureMethod, ConsentPurpose
from services.consent.contact import Channel, ContactDecision, ContactPurpose
from services.consent.ledger import Decision
from services.consent.preferences import Preferences

ConsentPurposeEnum = strawberry.enum(
    ConsentPurpose, name="ConsentPurpose", description="What a consent covers."
)
CaptureMethodEnum = strawberry.enum(
    CaptureMethod, name="CaptureMethod", description="How a decision was captured."
)
ChannelEnum = strawberry.enum(Channel, name="ContactChannel", description="A way to reach someone.")
ContactPurposeEnum = strawberry.enum(
    ContactPurpose, name="ContactPurpose", description="Service message or marketing."
)


@strawberry.type(description="One consent decision in a patient's append-only ledger.")
class Consent:
    id: strawberry.ID
    sequence: int = strawberry.field(description="Position in the patient's ledger.")
    purpose: ConsentPurposeEnum = strawberry.field(description="What it covers.")  # type: ignore[valid-type]
    granted: bool = strawberry.field(description="Granted (true) or withdrawn/refused (false).")
    partner_client_id: str | None = strawberry.field(description="For DATA_SHARING: the partner.")
    treatment_id: strawberry.ID | None = strawberry.field(description="For TREATMENT.")
    policy_version: str = strawberry.field(description="Policy or form version agreed to.")
    method: CaptureMethodEnum = strawberry.field(description="How it was captured.")  # type: ignore[valid-type]
    evidence_ref: str | None = strawberry.field(description="E.g. a signed-document reference.")
    recorded_by_id: strawberry.ID | None = strawberry.field(description="Who recorded it.")
    recorded_by_role: str | None = strawberry.field(description="Their role at the time.")
    effective_at: datetime = strawberry.field(description="When the patient decided.")
    recorded_at: datetime = strawberry.field(description="When it was entered.")

    @classmethod
    def from_model(cls, row: ConsentRecord) -> Consent:
        purpose = ConsentPurpose(row.purpose)
        return cls(
            id=strawberry.ID(str(row.id)),
            sequence=row.seq,
            purpose=purpose,
            granted=row.granted,
            partner_client_id=row.subject if purpose is ConsentPurpose.DATA_SHARING else None,
            treatment_id=strawberry.ID(row.subject)
            if purpose is ConsentPurpose.TREATMENT
            else None,
            policy_version=row.policy_version,
            method=CaptureMethod(row.method),
            evidence_ref=row.evidence_ref,
            recorded_by_id=strawberry.ID(str(row.recorded_by_user_id))
            if row.recorded_by_user_id
            else None,
            recorded_by_role=row.recorded_by_role,
            effective_at=row.effective_at,
            recorded_at=row.created_at,
        )


@strawberry.input(description="A consent decision to append to the ledger.")
class RecordConsentInput:
    patient_id: strawberry.ID
    purpose: ConsentPurposeEnum  # type: ignore[valid-type]
    granted: bool = True
    policy_version: str = strawberry.field(description="Policy or form version.")
    method: CaptureMethodEnum  # type: ignore[valid-type]
    partner_client_id: str | None = None
    treatment_id: strawberry.ID | None = None
    evidence_ref: str | None = None
    effective_at: datetime | None = strawberry.field(default=None, description="Default: now.")

    def decision(self, treatment: object = None) -> Decision:
        return Decision(
            purpose=ConsentPurpose(self.purpose),
            granted=self.granted,
            policy_version=self.policy_version,
            method=CaptureMethod(self.method),
            partner_client_id=self.partner_client_id,
            treatment_id=treatment,  # type: ignore[arg-type]
            evidence_ref=self.evidence_ref,
            effective_at=self.effective_at,
        )


@strawberry.input(description="Withdraw a current consent (a new ledger entry).")
class WithdrawConsentInput:
    patient_id: strawberry.ID
    purpose: ConsentPurposeEnum  # type: ignore[valid-type]
    policy_version: str
    method: CaptureMethodEnum  # type: ignore[valid-type]
    partner_client_id: str | None = None
    treatment_id: strawberry.ID | None = None
    evidence_ref: str | None = None


@strawberry.type
class RecordConsentPayload:
    consent: Consent


@strawberry.type
class WithdrawConsentPayload:
    consent: Consent


@strawberry.type(description="Channels the patient accepts.")
class ContactPreferences:
    email: bool
    sms: bool
    phone: bool
    post: bool
    service_messages: bool = strawberry.field(description="Reminders and other care messages.")

    @classmethod
    def of(cls, value: Preferences) -> ContactPreferences:
        return cls(
            email=value.email,
            sms=value.sms,
            phone=value.phone,
            post=value.post,
            service_messages=value.service_messages,
        )


@strawberry.input(description="Only the given channels change.")
class UpdateContactPreferencesInput:
    patient_id: strawberry.ID
    email: bool | None = None
    sms: bool | None = None
    phone: bool | None = None
    post: bool | None = None
    service_messages: bool | None = None

    def changes(self) -> dict[str, bool]:
        names = ("email", "sms", "phone", "post", "service_messages")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


@strawberry.type
class UpdateContactPreferencesPayload:
    preferences: ContactPreferences


@strawberry.type(description="Whether a message may be sent, and why.")
class ContactCheck:
    allowed: bool
    reason: str

    @classmethod
    def of(cls, value: ContactDecision) -> ContactCheck:
        return cls(allowed=value.allowed, reason=value.reason)
