"""The partner client an endpoint belongs to, as the principal its GraphQL token would be.

A delivery is a read by that partner: it is decided with the same ``Principal`` shape
``services.auth.principal_loader.principal_for_partner`` builds for its tokens (the client's
registered scopes within the partner ceiling, on the practices its registration names), so
``services.visibility`` answers for a webhook exactly as for a GraphQL read.
"""

from __future__ import annotations

from db.models import PartnerClient
from db.queries import organizations
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal
from services.tenant_gate import held_practice, organization_of


def granted_scopes(client: PartnerClient) -> frozenset[Scope]:
    known = {Scope(s) for s in client.scopes if s in Scope._value2member_map_}
    return frozenset(known & ROLE_SCOPES[Role.PARTNER])


async def principal_of(client: PartnerClient) -> Principal:
    if not client.is_active:
        return Principal()
    granted = granted_scopes(client)
    practices = await organizations.practices_in_organization(
        client.organization_id, client.practice_ids
    )
    return Principal(
        client_id=client.client_id,
        roles=frozenset({Role.PARTNER}),
        practice_scopes={held_practice(p.id): granted for p in practices},
        practice_organizations={held_practice(p.id): organization_of(p) for p in practices},
        mfa_passed=True,
    )


__all__ = ["granted_scopes", "principal_of"]
