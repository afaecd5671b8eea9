"""Registered partner apps (OAuth clients) and the partner tokens revoked before expiry.

Read by client id or token id: a client is the credential, and the practices it may reach are
listed on its row, so nothing here reads a tenant's data.
"""

from __future__ import annotations

from collections.abc import Collection

from db.models import PartnerClient, RevokedToken


async def active(client_id: str) -> PartnerClient | None:
    return await PartnerClient.get_or_none(client_id=client_id, is_active=True)


async def active_among(client_ids: Collection[str | None]) -> list[PartnerClient]:
    return await PartnerClient.filter(client_id__in=list(client_ids), is_active=True)


async def is_revoked(jti: str) -> bool:
    return await RevokedToken.exists(jti=jti)


async def revoked_among(jtis: Collection[str]) -> set[str]:
    found = await RevokedToken.filter(jti__in=list(jtis)).values_list("jti", flat=True)
    return {str(jti) for jti in found}
