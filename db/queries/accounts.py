"""People and partner apps as the privacy services need them: names for an access log, a staff
account named on the command line, a practitioner of a practice, a partner of an organisation."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from uuid import UUID

from db.models import Membership, PartnerClient, User
from db.tenancy import OrganizationId, PracticeId


async def user_names(user_ids: Collection[Any]) -> dict[Any, Any]:
    """User id -> full name, one statement (none for no ids)."""
    if not user_ids:
        return {}
    return dict(await User.filter(id__in=list(user_ids)).values_list("id", "full_name"))


async def client_names(client_ids: Collection[str]) -> dict[Any, Any]:
    """Partner client id -> app name, one statement (none for no ids)."""
    if not client_ids:
        return {}
    rows = await PartnerClient.filter(client_id__in=list(client_ids)).values_list(
        "client_id", "name"
    )
    return dict(rows)


async def live_user(email: str) -> User | None:
    """The account with this (already folded) email, unless it was deleted."""
    return await User.get_or_none(email=email, deleted_at__isnull=True)


async def holds_role_in(practice_id: PracticeId, user_id: UUID, roles: Collection[str]) -> bool:
    """Whether the user holds one of ``roles`` in the practice (a practitioner to prefer)."""
    return await Membership.exists(user_id=user_id, practice_id=practice_id, role__in=sorted(roles))


async def partner_in(organization_id: OrganizationId, client_id: str) -> bool:
    return await PartnerClient.exists(client_id=client_id, organization_id=organization_id)
