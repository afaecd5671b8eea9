"""Turning verified token claims into a ``Principal`` from the memberships held *now*.

Memberships are re-read on every request, so a revoked role or a deleted user loses access on
the very next request, not when the token expires: one joined statement (account state,
memberships, the practices an organization role reaches) rather than a per-process cache,
which could not see a membership deleted by another process.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from db.models import User
from db.queries import memberships, organizations, partner_clients
from db.tenancy import OrganizationId, PracticeId
from services.errors import Unauthenticated
from services.policy import ROLE_SCOPES, Role, Scope, requires_mfa
from services.principal import Principal, RequestMeta
from services.tenant_gate import held_organization, held_practice, organization_of


async def principal_for_user(
    user: User, *, mfa_passed: bool, claims: dict[str, Any], meta: RequestMeta
) -> Principal:
    found = await memberships.account(user.id)
    held = found.memberships if found is not None else ()
    return _principal(user.id, held, mfa_passed=mfa_passed, claims=claims, meta=meta)


async def principal_for_access(claims: dict[str, Any], meta: RequestMeta) -> Principal:
    """A verified access token's principal: account state and memberships in one statement."""
    try:
        uid = UUID(str(claims["sub"]))
    except ValueError:
        raise Unauthenticated("Invalid or expired token.") from None
    found = await memberships.account(uid)
    if found is None or not found.active or found.token_version != claims.get("ver"):
        raise Unauthenticated("Invalid or expired token.")
    mfa_passed = bool(claims.get("mfa"))
    return _principal(uid, found.memberships, mfa_passed=mfa_passed, claims=claims, meta=meta)


def _principal(
    user_id: UUID,
    held: tuple[memberships.Held, ...],
    *,
    mfa_passed: bool,
    claims: dict[str, Any],
    meta: RequestMeta,
) -> Principal:
    roles = frozenset(Role(m.role) for m in held)
    practice_scopes: dict[PracticeId, set[Scope]] = {}
    practice_orgs: dict[PracticeId, OrganizationId] = {}
    org_scopes: dict[OrganizationId, set[Scope]] = {}
    global_scopes: set[Scope] = set()
    patient_ids: set[UUID] = set()
    for membership in held:
        role = Role(membership.role)
        scopes = ROLE_SCOPES[role]
        if role is Role.SYSTEM_OWNER:
            global_scopes |= scopes
        elif membership.practice_id is not None:
            pid = held_practice(membership.practice_id)
            practice_scopes.setdefault(pid, set()).update(scopes)
            practice_orgs[pid] = held_organization(membership.practice_organization_id)
            if role is Role.PATIENT and membership.patient_id is not None:
                patient_ids.add(membership.patient_id)
        elif membership.organization_id is not None:
            oid = held_organization(membership.organization_id)
            org_scopes.setdefault(oid, set()).update(scopes)
            # An organization role reaches every practice of that organization.
            for reached in map(held_practice, membership.practices):
                practice_scopes.setdefault(reached, set()).update(scopes)
                practice_orgs[reached] = oid
    enrolment_only = requires_mfa(roles) and not mfa_passed
    return Principal(
        user_id=user_id,
        roles=roles,
        practice_scopes={p: frozenset(s) for p, s in practice_scopes.items()},
        practice_organizations=practice_orgs,
        organization_scopes={o: frozenset(s) for o, s in org_scopes.items()},
        global_scopes=frozenset(global_scopes),
        patient_ids=frozenset(patient_ids),
        mfa_passed=mfa_passed,
        enrolment_only=enrolment_only,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC) if "exp" in claims else None,
        token_id=claims.get("jti"),
        session_id=UUID(claims["sid"]) if claims.get("sid") else None,
        meta=meta,
    )


async def principal_for_partner(claims: dict[str, Any], meta: RequestMeta) -> Principal:
    client_id = str(claims["sub"]).removeprefix("client:")
    client = await partner_clients.active(client_id)
    if client is None or await partner_clients.is_revoked(claims["jti"]):
        raise Unauthenticated("Invalid or expired token.")
    if claims.get("ver", 0) != client.token_version:  # issued before a suspension
        raise Unauthenticated("Invalid or expired token.")
    # The token can only narrow the client's registration, never exceed it.
    granted = {Scope(s) for s in claims.get("scope", "").split() if s in Scope._value2member_map_}
    granted &= {Scope(s) for s in client.scopes} & ROLE_SCOPES[Role.PARTNER]
    practice_ids = set(claims.get("practices", [])) & set(client.practice_ids)
    # The client's registration is its membership: the practices it names are held.
    practices = await organizations.practices_in_organization(client.organization_id, practice_ids)
    return Principal(
        client_id=client.client_id,
        roles=frozenset({Role.PARTNER}),
        practice_scopes={held_practice(p.id): frozenset(granted) for p in practices},
        practice_organizations={held_practice(p.id): organization_of(p) for p in practices},
        mfa_passed=True,
        expires_at=datetime.fromtimestamp(claims["exp"], UTC),
        token_id=claims["jti"],
        trusted_documents_only=client.trusted_documents_only,
        documents_version=client.documents_version,
        meta=meta,
    )
