"""Tenant-scoped reads of the audit log (newest first, keyset-paginated)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.expressions import Q

from db.models.audit import AuditEvent
from db.models.credentials import PartnerClient
from db.models.users import User
from db.tenancy import OrganizationId, PracticeId


async def events(
    organizations: Collection[OrganizationId],
    practices: Collection[PracticeId],
    *,
    patient_id: UUID | None = None,
    actor_user_id: UUID | None = None,
    client_id: str | None = None,
    action_prefix: str | None = None,
    outcome: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 25,
) -> list[AuditEvent]:
    """Rows of whole organization chains, plus rows about the listed practices."""
    reach = Q(chain__in=[str(o) for o in organizations]) | Q(practice_id__in=list(practices))
    query = AuditEvent.filter(reach)
    if patient_id is not None:
        query = query.filter(patient_id=patient_id)
    if actor_user_id is not None:
        query = query.filter(actor_user_id=actor_user_id)
    if client_id is not None:
        query = query.filter(client_id=client_id)
    if action_prefix:
        query = query.filter(action__startswith=action_prefix)
    if outcome:
        query = query.filter(outcome=outcome)
    if since is not None:
        query = query.filter(occurred_at__gte=since)
    if until is not None:
        query = query.filter(occurred_at__lt=until)
    if after is not None:
        at, last_id = after
        query = query.filter(Q(occurred_at__lt=at) | Q(occurred_at=at, id__lt=last_id))
    return await query.order_by("-occurred_at", "-id").limit(limit)


async def actor_names(rows: Collection[AuditEvent]) -> tuple[dict[str, str], dict[str, str]]:
    """Names of the people (user id -> full name) and partner apps (client id -> name) acting
    in ``rows``: two statements whatever the number of rows."""
    user_ids = {str(r.actor_user_id) for r in rows if r.actor_user_id is not None}
    client_ids = {str(r.client_id) for r in rows if r.client_id}
    users: dict[str, str] = {}
    clients: dict[str, str] = {}
    if user_ids:
        found = await User.filter(id__in=list(user_ids)).values_list("id", "full_name")
        users = {str(uid): str(name) for uid, name in found}
    if client_ids:
        apps = await PartnerClient.filter(client_id__in=list(client_ids)).values_list(
            "client_id", "name"
        )
        clients = {str(cid): str(name) for cid, name in apps}
    return users, clients
