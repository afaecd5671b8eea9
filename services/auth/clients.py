"""Registering partner apps: an organization grants a client some scopes on some practices.

Shared by the operator's CLI (``aescrm create-client``) and the organisation admins' GraphQL
(``services.auth.client_admin``): the same checks, the same row, the same secret shown once.
A client's secret is hashed like a password; after a rotation the previous hash keeps working
until ``previous_secret_expires_at`` so the partner can deploy the new secret without downtime.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from db.models import PartnerClient
from db.queries import organizations
from db.queries import partner_clients as rows
from db.uow import unit_of_work
from services import audit
from services.auth.passwords import hash_password, verify_password
from services.auth.users import OPERATOR
from services.errors import NotFound, ValidationFailed
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal


def clock() -> datetime:
    """Now; tests move it to see a rotation's grace period end."""
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str  # shown once; only its hash is stored
    row: PartnerClient


def grantable_scopes(scopes: Sequence[str]) -> list[str]:
    """The scopes, checked against the partner ceiling: nothing else may be granted."""
    unknown = [s for s in scopes if s not in Scope._value2member_map_]
    beyond = [s for s in scopes if s not in unknown and Scope(s) not in ROLE_SCOPES[Role.PARTNER]]
    if unknown or beyond:
        raise ValidationFailed(
            f"Scopes not grantable to partners: {', '.join(unknown + beyond)}", field="scopes"
        )
    return sorted(set(scopes))


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def secret_matches(row: PartnerClient, secret: str) -> bool:
    """The current secret, or the previous one while its grace period lasts."""
    if verify_password(row.secret_hash, secret):
        return True
    expires = row.previous_secret_expires_at
    return (
        row.previous_secret_hash is not None
        and expires is not None
        and clock() < expires
        and verify_password(row.previous_secret_hash, secret)
    )


async def create(
    principal: Principal,
    *,
    organization_id: UUID,
    name: str,
    scopes: Sequence[str],
    practice_ids: Sequence[UUID],
    trusted_documents_only: bool = False,
) -> NewClient:
    """Checks and writes a new client with its audit row; the caller has checked the org."""
    if not name.strip() or len(name) > 200:
        raise ValidationFailed(
            "Give the partner app a name (at most 200 characters).", field="name"
        )
    granted = grantable_scopes(scopes)
    if not granted:
        raise ValidationFailed("Grant at least one scope.", field="scopes")
    practices = await organizations.practices_in_organization(organization_id, practice_ids)
    if len(practices) != len(set(practice_ids)):
        raise NotFound("Practice")
    client_id = f"pc_{secrets.token_hex(12)}"
    secret = new_secret()
    row = PartnerClient(
        organization_id=organization_id,
        name=name.strip(),
        client_id=client_id,
        secret_hash=hash_password(secret),
        scopes=granted,
        practice_ids=sorted(str(p.id) for p in practices),
        trusted_documents_only=trusted_documents_only,
    )
    async with unit_of_work() as uow:
        await rows.insert(row, uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="PARTNER_CLIENT_CREATED",
                organization_id=organization_id,
                entity_type="PartnerClient",
                entity_id=client_id,
                fields=[*granted, *(["trusted_documents_only"] if trusted_documents_only else [])],
            )
        )
    return NewClient(client_id, secret, row)


async def register(
    *, organization_id: UUID, name: str, scopes: list[str], practice_ids: list[UUID]
) -> NewClient:
    """The operator's registration (CLI): any organisation on this server."""
    organization = await organizations.organization_by_id(organization_id)
    if organization is None:
        raise NotFound("Organization")
    return await create(
        OPERATOR,
        organization_id=organization.id,
        name=name,
        scopes=scopes,
        practice_ids=practice_ids,
    )
