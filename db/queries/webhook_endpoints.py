"""Partner webhook endpoints and their partner clients, read within one organisation.

Every function a request reaches takes the caller's ``OrganizationId`` first, so an endpoint
or client of another organisation is simply not found (the same NOT_FOUND as a random id).
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import PartnerClient, PartnerWebhookEndpoint
from db.tenancy import OrganizationId


async def endpoints(organization_id: OrganizationId) -> list[PartnerWebhookEndpoint]:
    return await PartnerWebhookEndpoint.filter(organization_id=organization_id).order_by(
        "created_at", "id"
    )


async def endpoints_in(
    organization_ids: Collection[OrganizationId],
) -> list[PartnerWebhookEndpoint]:
    return await PartnerWebhookEndpoint.filter(organization_id__in=list(organization_ids)).order_by(
        "created_at", "id"
    )


async def endpoint(
    organization_id: OrganizationId,
    endpoint_id: UUID,
    connection: BaseDBAsyncClient | None = None,
    *,
    for_update: bool = False,
) -> PartnerWebhookEndpoint | None:
    query = PartnerWebhookEndpoint.filter(id=endpoint_id, organization_id=organization_id)
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def partner_client(organization_id: OrganizationId, client_id: str) -> PartnerClient | None:
    """An active partner client registered by this organisation."""
    return await PartnerClient.get_or_none(
        organization_id=organization_id, client_id=client_id, is_active=True
    )


async def partner_clients_by_pk(
    organization_id: OrganizationId, pks: Collection[Any]
) -> dict[str, PartnerClient]:
    rows = await PartnerClient.filter(organization_id=organization_id, id__in=list(pks))
    return {str(row.id): row for row in rows}


async def insert(row: PartnerWebhookEndpoint, connection: BaseDBAsyncClient) -> None:
    await row.save(using_db=connection, force_create=True)


async def save(
    row: PartnerWebhookEndpoint, connection: BaseDBAsyncClient, fields: list[str]
) -> None:
    await row.save(using_db=connection, update_fields=[*fields, "updated_at"])


async def delete(row: PartnerWebhookEndpoint, connection: BaseDBAsyncClient) -> None:
    await row.delete(using_db=connection)
