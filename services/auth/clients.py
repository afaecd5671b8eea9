"""Registering partner apps: an organization grants a client some scopes on some practices."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from uuid import UUID

from db.models import PartnerClient
from db.queries import organizations
from db.uow import unit_of_work
from services import audit
from services.auth.passwords import hash_password
from services.auth.users import OPERATOR
from services.errors import NotFound, ValidationFailed
from services.policy import ROLE_SCOPES, Role, Scope


@dataclass(frozen=True, slots=True)
class NewClient:
    client_id: str
    client_secret: str  # shown once; only its hash is stored


async def register(
    *, organization_id: UUID, name: str, scopes: list[str], practice_ids: list[UUID]
) -> NewClient:
    organization = await organizations.organization_by_id(organization_id)
    if organization is None:
        raise NotFound("Organization")
    unknown = [s for s in scopes if s not in Scope._value2member_map_]
    beyond = [s for s in scopes if s not in unknown and Scope(s) not in ROLE_SCOPES[Role.PARTNER]]
    if unknown or beyond:
        raise ValidationFailed(
            f"Scopes not grantable to partners: {', '.join(unknown + beyond)}", field="scopes"
        )
    practices = await organizations.practices_in_organization(organization.id, practice_ids)
    if len(practices) != len(set(practice_ids)):
        raise NotFound("Practice")
    client_id = f"pc_{secrets.token_hex(12)}"
    secret = secrets.token_urlsafe(32)
    async with unit_of_work() as uow:
        await PartnerClient.create(
            organization=organization,
            name=name,
            client_id=client_id,
            secret_hash=hash_password(secret),
            scopes=sorted(set(scopes)),
            practice_ids=sorted(str(p.id) for p in practices),
            using_db=uow.connection,
        )
        uow.audit(
            audit.record_for(
                OPERATOR,
                action="PARTNER_CLIENT_CREATED",
                organization_id=organization.id,
                entity_type="PartnerClient",
                entity_id=client_id,
                fields=sorted(set(scopes)),
            )
        )
    return NewClient(client_id, secret)
