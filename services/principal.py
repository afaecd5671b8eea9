"""Who is acting, on which tenants, with which scopes — derived only from verified credentials."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast
from uuid import UUID

from db.tenancy import OrganizationId, PracticeId
from services.policy import Role, Scope


@dataclass(frozen=True, slots=True)
class RequestMeta:
    request_id: str = "-"
    ip: str | None = None
    user_agent: str | None = None


@dataclass(frozen=True, slots=True)
class Principal:
    """Scopes are held per practice: a dentist in one practice may be reception in another."""

    user_id: UUID | None = None
    client_id: str | None = None
    roles: frozenset[Role] = frozenset()
    practice_scopes: Mapping[PracticeId, frozenset[Scope]] = field(default_factory=dict)
    practice_organizations: Mapping[PracticeId, OrganizationId] = field(default_factory=dict)
    organization_scopes: Mapping[OrganizationId, frozenset[Scope]] = field(default_factory=dict)
    global_scopes: frozenset[Scope] = frozenset()
    patient_ids: frozenset[UUID] = frozenset()  # set for PATIENT principals: their own records
    mfa_passed: bool = False
    enrolment_only: bool = False  # signed in, but must enrol MFA before anything else
    expires_at: datetime | None = None
    token_id: str | None = None
    session_id: UUID | None = None  # the refresh-token family this access token belongs to
    # A partner app that may run registered documents only, and the version of its set (both
    # from its client row, re-read on every request; ``services.trusted_documents``).
    trusted_documents_only: bool = False
    documents_version: int = 0
    meta: RequestMeta = field(default_factory=RequestMeta)

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None or self.client_id is not None

    @property
    def is_patient(self) -> bool:
        return Role.PATIENT in self.roles

    @property
    def practice_ids(self) -> frozenset[PracticeId]:
        return frozenset(self.practice_scopes)

    @property
    def organization_ids(self) -> frozenset[OrganizationId]:
        return frozenset(self.practice_organizations.values()) | frozenset(self.organization_scopes)

    @property
    def primary_role(self) -> str | None:
        if self.client_id is not None:
            return Role.PARTNER.value
        return min(self.roles).value if self.roles else None

    def scopes_in(self, practice_id: UUID) -> frozenset[Scope]:
        """Any UUID may be looked up: checking an id needs no tenant id, only minting one does
        (``services.tenant_gate``)."""
        return cast("Mapping[UUID, frozenset[Scope]]", self.practice_scopes).get(
            practice_id, frozenset()
        )

    def practices_with(self, scope: Scope) -> frozenset[PracticeId]:
        return frozenset(p for p, scopes in self.practice_scopes.items() if scope in scopes)

    def has_scope(self, scope: Scope, practice_id: UUID | None = None) -> bool:
        """With a practice: held there. Without: held anywhere (schema-level checks)."""
        if self.enrolment_only:
            return False
        if scope in self.global_scopes:
            return True
        if practice_id is not None:
            return scope in self.scopes_in(practice_id)
        return any(scope in scopes for scopes in self.practice_scopes.values()) or any(
            scope in scopes for scopes in self.organization_scopes.values()
        )

    def organization_of(self, practice_id: UUID) -> OrganizationId | None:
        return cast("Mapping[UUID, OrganizationId]", self.practice_organizations).get(practice_id)


ANONYMOUS = Principal()
