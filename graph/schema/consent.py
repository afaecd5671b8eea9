"""Consent ledger entries, contact preferences and contact decisions as the graph shows them."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.models import ConsentRecord
from db.models.consent import CaptureMethod, ConsentPurpose
from graph.ids import IdFields
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
class RecordConsentInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient deciding.")
    purpose: ConsentPurposeEnum = strawberry.field(description="What the consent covers.")  # type: ignore[valid-type]
    granted: bool = strawberry.field(
        default=True,
        description="True grants, false refuses; default true.",
    )
    policy_version: str = strawberry.field(description="Policy or form version.")
    method: CaptureMethodEnum = strawberry.field(description="How the decision was captured.")  # type: ignore[valid-type]
    partner_client_id: str | None = strawberry.field(
        default=None,
        description=(
            "For DATA_SHARING (required there): the partner's OAuth client id; omit otherwise."
        ),
    )
    treatment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="For TREATMENT (required there): the patient's appointment; omit otherwise.",
    )
    evidence_ref: str | None = strawberry.field(
        default=None,
        description="E.g. a signed-document reference; up to 200 characters.",
    )
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
class WithdrawConsentInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient withdrawing.")
    purpose: ConsentPurposeEnum = strawberry.field(description="The consent being withdrawn.")  # type: ignore[valid-type]
    policy_version: str = strawberry.field(description="Policy or form version, 1-40 characters.")
    method: CaptureMethodEnum = strawberry.field(description="How the withdrawal was captured.")  # type: ignore[valid-type]
    partner_client_id: str | None = strawberry.field(
        default=None,
        description=(
            "For DATA_SHARING (required there): the partner's OAuth client id; omit otherwise."
        ),
    )
    treatment_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="For TREATMENT (required there): the patient's appointment; omit otherwise.",
    )
    evidence_ref: str | None = strawberry.field(
        default=None,
        description="E.g. a signed-document reference; up to 200 characters.",
    )


@strawberry.type(description="The recorded consent decision.")
class RecordConsentPayload:
    consent: Consent = strawberry.field(description="The new ledger entry.")


@strawberry.type(description="The recorded withdrawal.")
class WithdrawConsentPayload:
    consent: Consent = strawberry.field(description="The new ledger entry (granted false).")


@strawberry.type(description="Channels the patient accepts.")
class ContactPreferences:
    email: bool = strawberry.field(description="Accepts email.")
    sms: bool = strawberry.field(description="Accepts text messages.")
    phone: bool = strawberry.field(description="Accepts phone calls.")
    post: bool = strawberry.field(description="Accepts letters.")
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
class UpdateContactPreferencesInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    email: bool | None = strawberry.field(
        default=None,
        description="Accept email. Omit or null to keep.",
    )
    sms: bool | None = strawberry.field(
        default=None,
        description="Accept text messages. Omit or null to keep.",
    )
    phone: bool | None = strawberry.field(
        default=None,
        description="Accept phone calls. Omit or null to keep.",
    )
    post: bool | None = strawberry.field(
        default=None,
        description="Accept letters. Omit or null to keep.",
    )
    service_messages: bool | None = strawberry.field(
        default=None,
        description="Accept reminders and other care messages. Omit or null to keep.",
    )

    def changes(self) -> dict[str, bool]:
        names = ("email", "sms", "phone", "post", "service_messages")
        return {n: getattr(self, n) for n in names if getattr(self, n) is not None}


@strawberry.type(description="The patient's contact preferences after the change.")
class UpdateContactPreferencesPayload:
    preferences: ContactPreferences = strawberry.field(description="All channels as now stored.")


@strawberry.type(description="Whether a message may be sent, and why.")
class ContactCheck:
    allowed: bool = strawberry.field(description="Whether the message may be sent now.")
    reason: str = strawberry.field(
        description="Why, in plain English, e.g. No contact details for this channel.",
    )

    @classmethod
    def of(cls, value: ContactDecision) -> ContactCheck:
        return cls(allowed=value.allowed, reason=value.reason)
