"""Organisation admins manage their partner apps (OAuth clients): list, register, rotate the
secret, narrow the grant, suspend / resume, delete.

Who: a user holding ``partner:admin`` organisation-wide (``ORG_ADMIN``). Not a partner token
(a leaked token must not mint or widen clients) and not the platform's system owner: which
apps may read a practice's patients is the organisation's decision as data controller, as for
webhook endpoints; the operator keeps ``aescrm create-client`` on the server.

Every change writes exactly one audit row in its transaction, never with a secret in it; a
call that changes nothing writes none. Secrets are shown once and stored as one-way hashes.
A client of another organisation, a deleted one and a random id are the same NOT_FOUND.

Changes bite at once: every partner request re-reads its client row
(``principal_loader.principal_for_partner``), so a suspended or deleted client's tokens stop on
the next request and a narrowed grant narrows tokens already issued.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

from db.models import PartnerClient
from db.queries import organizations
from db.queries import partner_clients as rows
from db.tenancy import OrganizationId
from db.uow import UnitOfWork, unit_of_work
from services import audit, organization_admin
from services.auth import clients
from services.auth.passwords import hash_password
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal

MAX_GRACE_MINUTES = 7 * 24 * 60
UNUSABLE = "-"  # not a hash: verify_password refuses every secret against it


@dataclass(frozen=True, slots=True)
class WithSecret:
    client: PartnerClient
    secret: str  # shown this once


REFUSAL = "Partner apps are managed by the organisation's admins."


def _admin_orgs(principal: Principal) -> list[OrganizationId]:
    return organization_admin.organizations_with(principal, Scope.PARTNER_ADMIN)


async def _organization(principal: Principal, organization_id: UUID, action: str) -> OrganizationId:
    return await organization_admin.organization_for(
        principal, organization_id, Scope.PARTNER_ADMIN, action=action, refusal=REFUSAL
    )


async def owned(principal: Principal, client_id: str, uow: UnitOfWork) -> PartnerClient:
    """A client of an organisation the principal administers, locked for a change; another
    organisation's, a deleted one and a random id are the same NOT_FOUND."""
    for oid in _admin_orgs(principal):
        found = await rows.owned(oid, client_id, uow.connection)
        if found is not None:
            return found
    raise NotFound("PartnerClient")


def _audit(
    uow: UnitOfWork, principal: Principal, action: str, row: PartnerClient, fields: list[str]
) -> None:
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            organization_id=UUID(str(row.organization_id)),
            entity_type="PartnerClient",
            entity_id=row.client_id,
            fields=fields,
        )
    )


async def listed(principal: Principal, *, organization_id: UUID) -> list[PartnerClient]:
    oid = await _organization(principal, organization_id, "PARTNER_CLIENTS_LIST")
    return await rows.of_organization(oid)


async def register(
    principal: Principal,
    *,
    organization_id: UUID,
    name: str,
    scopes: Sequence[str],
    practice_ids: Sequence[UUID],
    trusted_documents_only: bool = False,
) -> WithSecret:
    oid = await _organization(principal, organization_id, "PARTNER_CLIENT_CREATE")
    made = await clients.create(
        principal,
        organization_id=oid,
        name=name,
        scopes=scopes,
        practice_ids=practice_ids,
        trusted_documents_only=trusted_documents_only,
    )
    return WithSecret(made.row, made.client_secret)


async def rotate_secret(principal: Principal, *, client_id: str, grace_minutes: int) -> WithSecret:
    """A new secret; the current one keeps working for ``grace_minutes`` (0: stops now).

    Only one previous secret is kept: rotating again inside a grace period ends the older
    secret at once.
    """
    if not 0 <= grace_minutes <= MAX_GRACE_MINUTES:
        raise ValidationFailed(
            f"The grace period is 0 to {MAX_GRACE_MINUTES} minutes.", field="graceMinutes"
        )
    secret = clients.new_secret()
    async with unit_of_work() as uow:
        row = await owned(principal, client_id, uow)
        row.previous_secret_hash = row.secret_hash if grace_minutes else None
        row.previous_secret_expires_at = (
            clients.clock() + timedelta(minutes=grace_minutes) if grace_minutes else None
        )
        row.secret_hash = hash_password(secret)
        changed = ["secret_hash", "previous_secret_hash", "previous_secret_expires_at"]
        await rows.save(row, uow.connection, changed)
        _audit(uow, principal, "PARTNER_CLIENT_SECRET_ROTATED", row, changed)
    return WithSecret(row, secret)


async def _narrowed_practices(row: PartnerClient, practice_ids: Sequence[UUID]) -> list[str]:
    found = await organizations.practices_in_organization(row.organization_id, practice_ids)
    if len(found) != len(set(practice_ids)):
        raise NotFound("Practice")
    wanted = {str(p.id) for p in found}
    if not wanted <= set(row.practice_ids):
        raise ValidationFailed(
            "A partner app's practices can only be narrowed; register a new app to add one.",
            field="practiceIds",
        )
    return sorted(wanted)


def _narrowed_scopes(row: PartnerClient, scopes: Sequence[str]) -> list[str]:
    wanted = clients.grantable_scopes(scopes)
    if not wanted:
        raise ValidationFailed("Grant at least one scope.", field="scopes")
    if not set(wanted) <= set(row.scopes):
        raise ValidationFailed(
            "A partner app's scopes can only be narrowed; register a new app to add one.",
            field="scopes",
        )
    return wanted


async def update(
    principal: Principal,
    *,
    client_id: str,
    name: str | None,
    scopes: Sequence[str] | None,
    practice_ids: Sequence[UUID] | None,
    trusted_documents_only: bool | None = None,
) -> PartnerClient:
    """Renames, narrows the grant (scopes and practices only shrink), or switches "trusted
    documents only" (``services.trusted_documents``); omitted: unchanged."""
    if name is not None and (not name.strip() or len(name) > 200):
        raise ValidationFailed(
            "Give the partner app a name (at most 200 characters).", field="name"
        )
    async with unit_of_work() as uow:
        row = await owned(principal, client_id, uow)
        changed: list[str] = []
        if name is not None and name.strip() != row.name:
            row.name, changed = name.strip(), [*changed, "name"]
        if scopes is not None:
            narrowed = _narrowed_scopes(row, scopes)
            if narrowed != sorted(row.scopes):
                row.scopes, changed = narrowed, [*changed, "scopes"]
        if practice_ids is not None:
            kept = await _narrowed_practices(row, practice_ids)
            if kept != sorted(row.practice_ids):
                row.practice_ids, changed = kept, [*changed, "practice_ids"]
        if (
            trusted_documents_only is not None
            and trusted_documents_only != row.trusted_documents_only
        ):
            row.trusted_documents_only = trusted_documents_only
            changed = [*changed, "trusted_documents_only"]
        if changed:
            await rows.save(row, uow.connection, changed)
            _audit(uow, principal, "PARTNER_CLIENT_UPDATED", row, changed)
    return row


async def set_active(principal: Principal, *, client_id: str, active: bool) -> PartnerClient:
    """Suspend (no new tokens; issued ones refused from the next request) or resume."""
    async with unit_of_work() as uow:
        row = await owned(principal, client_id, uow)
        if row.is_active != active:
            row.is_active = active
            # Tokens issued before a suspension never come back, not even after a resume.
            row.token_version += 0 if active else 1
            await rows.save(row, uow.connection, ["is_active", "token_version"])
            action = "PARTNER_CLIENT_RESUMED" if active else "PARTNER_CLIENT_SUSPENDED"
            _audit(uow, principal, action, row, ["is_active"])
    return row


async def delete(principal: Principal, *, client_id: str) -> str:
    """Gone for good: no token, no secret, no webhook delivery; the row stays for the record."""
    async with unit_of_work() as uow:
        row = await owned(principal, client_id, uow)
        row.is_active = False
        row.token_version += 1
        row.deleted_at = clients.clock()
        row.secret_hash = UNUSABLE
        row.previous_secret_hash = None
        row.previous_secret_expires_at = None
        await rows.save(
            row,
            uow.connection,
            [
                "is_active",
                "token_version",
                "deleted_at",
                "secret_hash",
                "previous_secret_hash",
                "previous_secret_expires_at",
            ],
        )
        _audit(uow, principal, "PARTNER_CLIENT_DELETED", row, ["deleted_at"])
    return row.client_id


__all__ = [
    "MAX_GRACE_MINUTES",
    "WithSecret",
    "delete",
    "listed",
    "owned",
    "register",
    "rotate_secret",
    "set_active",
    "update",
]
