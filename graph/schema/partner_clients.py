"""Partner apps (OAuth clients) as their organisation's admins see them: never the secret, which
only a registration or a rotation payload carries, once."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from db.models import PartnerClient as PartnerClientRow
from graph.ids import IdFields
from graph.permissions.fields import ScopeEnum
from services.policy import Scope


@strawberry.enum(
    description="ACTIVE (gets tokens) or SUSPENDED (no new tokens; issued ones are refused)."
)
class PartnerClientStatus(Enum):
    ACTIVE = "ACTIVE"
    SUSPENDED = "SUSPENDED"


@strawberry.type(description="A partner app registered by the organisation (an OAuth client).")
class PartnerClient:
    client_id: str = strawberry.field(description="The public OAuth client id (pc_…).")
    organization_id: strawberry.ID = strawberry.field(description="The owning organisation.")
    name: str = strawberry.field(description="The app's name.")
    scopes: list[ScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="The scopes its tokens may carry (at most these)."
    )
    practice_ids: list[strawberry.ID] = strawberry.field(
        description="The practices its tokens reach."
    )
    status: PartnerClientStatus = strawberry.field(description="Whether it gets tokens.")
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="After a rotation: when the previous secret stops working (null: it has)."
    )
    created_at: datetime = strawberry.field(description="When it was registered.")
    trusted_documents_only: bool = strawberry.field(
        description="It runs only the documents registered for it (`trustedDocuments`), sent "
        "by `documentId`; an ad-hoc query answers TRUSTED_DOCUMENT_REQUIRED."
    )

    @classmethod
    def from_model(cls, row: PartnerClientRow, now: datetime) -> PartnerClient:
        grace = row.previous_secret_expires_at
        return cls(
            client_id=row.client_id,
            organization_id=strawberry.ID(str(row.organization_id)),
            name=row.name,
            scopes=[Scope(s) for s in row.scopes if s in Scope._value2member_map_],
            practice_ids=[strawberry.ID(p) for p in row.practice_ids],
            status=PartnerClientStatus.ACTIVE if row.is_active else PartnerClientStatus.SUSPENDED,
            previous_secret_expires_at=grace if grace is not None and grace > now else None,
            created_at=row.created_at,
            trusted_documents_only=row.trusted_documents_only,
        )


@strawberry.input(description="Register a partner app for the organisation.")
class RegisterPartnerClientInput(IdFields):
    organization_id: strawberry.ID = strawberry.field(description="The organisation.")
    name: str = strawberry.field(description="The app's name (at most 200 characters).")
    scopes: list[ScopeEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Scopes to grant (only those a partner may hold)."
    )
    practice_ids: list[strawberry.ID] = strawberry.field(
        description="The organisation's practices it may reach."
    )
    trusted_documents_only: bool = strawberry.field(
        default=False,
        description="Run only documents registered for it (registerTrustedDocuments).",
    )


@strawberry.type(description="The new partner app and its secret.")
class RegisterPartnerClientPayload:
    client: PartnerClient = strawberry.field(description="The app.")
    client_secret: str = strawberry.field(
        description="The client secret, shown this once: give it to the partner."
    )


@strawberry.input(description="Replace a partner app's secret.")
class RotatePartnerClientSecretInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")
    grace_minutes: int = strawberry.field(
        default=0,
        description="How long the current secret keeps working (0 to 10080 minutes; 0: it "
        "stops now). Rotating again inside a grace period ends the older secret at once.",
    )


@strawberry.type(description="The app and its new secret.")
class RotatePartnerClientSecretPayload:
    client: PartnerClient = strawberry.field(description="The app.")
    client_secret: str = strawberry.field(description="The new client secret, shown this once.")


@strawberry.input(description="Rename a partner app or narrow its grant; omitted: unchanged.")
class UpdatePartnerClientInput(IdFields):
    client_id: str = strawberry.field(description="The app's OAuth client id.")
    name: str | None = strawberry.field(default=None, description="A new name.")
    scopes: list[ScopeEnum] | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The scopes to keep (a subset of the current ones); tokens already issued "
        "lose the others at once.",
    )
    practice_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="The practices to keep (a subset of the current ones)."
    )
    trusted_documents_only: bool | None = strawberry.field(
        default=None,
        description="Run only documents registered for it (true), or ad-hoc ones too (false); "
        "at once, for tokens already issued too.",
    )


@strawberry.type(description="The changed app.")
class UpdatePartnerClientPayload:
    client: PartnerClient = strawberry.field(description="The app.")


@strawberry.input(description="Suspend a partner app.")
class SuspendPartnerClientInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")


@strawberry.type(description="The suspended app.")
class SuspendPartnerClientPayload:
    client: PartnerClient = strawberry.field(description="The app (SUSPENDED).")


@strawberry.input(description="Resume a suspended partner app.")
class ResumePartnerClientInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")


@strawberry.type(description="The resumed app.")
class ResumePartnerClientPayload:
    client: PartnerClient = strawberry.field(description="The app (ACTIVE).")


@strawberry.input(description="Delete a partner app for good.")
class DeletePartnerClientInput:
    client_id: str = strawberry.field(description="The app's OAuth client id.")


@strawberry.type(description="The deleted app's client id.")
class DeletePartnerClientPayload:
    deleted_client_id: str = strawberry.field(description="The client id deleted.")
