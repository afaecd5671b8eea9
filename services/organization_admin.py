"""Who administers an organisation's integrations (partner apps, webhook endpoints): staff
holding an organisation-level admin scope, never a partner app's own token. One check, used by
every organisation-level admin service, so the rule and its refusal cannot drift apart."""

from __future__ import annotations

from uuid import UUID

from db.tenancy import OrganizationId
from services import audit, tenant_gate
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal


def organizations_with(principal: Principal, scope: Scope) -> list[OrganizationId]:
    """The organisations where a person (not a partner app) holds ``scope``."""
    return [
        oid
        for oid, scopes in principal.organization_scopes.items()
        if scope in scopes and not principal.client_id
    ]


async def organization_for(
    principal: Principal, organization_id: UUID, scope: Scope, *, action: str, refusal: str
) -> OrganizationId:
    """``organization_id`` if the principal administers it with ``scope``: NOT_FOUND for an
    organisation they are not in (like a random id), FORBIDDEN (audited as ``action``) for one
    they are in without the scope."""
    oid = tenant_gate.organization_among(principal.organization_ids, organization_id)
    if oid not in organizations_with(principal, scope):
        await audit.record_denied(principal, action=action, practice_id=None)
        raise PolicyDenied(refusal)
    return oid


__all__ = ["organization_for", "organizations_with"]
