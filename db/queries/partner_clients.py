"""Registered partner apps (OAuth clients) and the partner tokens revoked before expiry.

Read by client id or token id: a client is the credential, and the practices it may reach are
listed on its row, so nothing here reads a tenant's data. The admin functions below are
organisation-scoped.
"""

from __future__ import annotations

from collections.abc import Collection

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import PartnerClient, RevokedToken
from db.tenancy import OrganizationId


async def active(client_id: str) -> PartnerClient | None:
    return await PartnerClient.get_or_none(client_id=client_id, is_active=True)


async def active_among(client_ids: Collection[str | None]) -> list[PartnerClient]:
    return await PartnerClient.filter(client_id__in=list(client_ids), is_active=True)


async def is_revoked(jti: str) -> bool:
    return await RevokedToken.exists(jti=jti)


async def revoked_among(jtis: Collection[str]) -> set[str]:
    found = await RevokedToken.filter(jti__in=list(jtis)).values_list("jti", flat=True)
    return {str(jti) for jti in found}


# The admin API: every function takes the admin's ``OrganizationId`` first, so a client of
# another organisation, a deleted one and a random id are all simply not found.


async def of_organization(organization_id: OrganizationId) -> list[PartnerClient]:
    return await PartnerClient.filter(
        organization_id=organization_id, deleted_at__isnull=True
    ).order_by("created_at", "id")


async def owned(
    organization_id: OrganizationId, client_id: str, connection: BaseDBAsyncClient
) -> PartnerClient | None:
    """A client of the organisation (suspended or not, never deleted), locked for a change."""
    return (
        await PartnerClient.filter(
            organization_id=organization_id, client_id=client_id, deleted_at__isnull=True
        )
        .select_for_update()
        .using_db(connection)
        .first()
    )


async def of_organization_by_id(
    organization_id: OrganizationId, client_id: str
) -> PartnerClient | None:
    """A client of the organisation (suspended or not, never deleted), to read."""
    return await PartnerClient.get_or_none(
        organization_id=organization_id, client_id=client_id, deleted_at__isnull=True
    )


async def not_deleted(client_id: str, connection: BaseDBAsyncClient) -> PartnerClient | None:
    """Any organisation's client (the operator's CLI), locked for a change."""
    return (
        await PartnerClient.filter(client_id=client_id, deleted_at__isnull=True)
        .select_for_update()
        .using_db(connection)
        .first()
    )


async def insert(row: PartnerClient, connection: BaseDBAsyncClient) -> None:
    await row.save(using_db=connection, force_create=True)


async def save(row: PartnerClient, connection: BaseDBAsyncClient, fields: list[str]) -> None:
    await row.save(using_db=connection, update_fields=fields)
