"""Tenant-scoped reads of the audit log (newest first, keyset-paginated)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q

from db.models import Membership, PartnerClient, User
from db.models.audit import AuditEvent, AuditHead
from db.tenancy import OrganizationId, PracticeId


def _reach(organizations: Collection[OrganizationId], practices: Collection[PracticeId]) -> Q:
    """Rows of whole organization chains, plus rows about the listed practices."""
    return Q(chain__in=[str(o) for o in organizations]) | Q(practice_id__in=list(practices))


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
    query = AuditEvent.filter(_reach(organizations, practices))
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


def _actor(user_id: UUID | None, client_id: str | None) -> Q:
    return Q(actor_user_id=user_id) if user_id is not None else Q(client_id=client_id)


async def actions_of(
    organizations: Collection[OrganizationId],
    practices: Collection[PracticeId],
    *,
    user_id: UUID | None,
    client_id: str | None,
    since: datetime,
    until: datetime,
) -> list[tuple[Any, ...]]:
    """What one actor did within the reach in [since, until): (patient_id, practice_id, action,
    occurred_at) per row naming a patient."""
    audited = AuditEvent.filter(
        _reach(organizations, practices),
        _actor(user_id, client_id),
        occurred_at__gte=since,
        occurred_at__lt=until,
        outcome="OK",
        patient_id__isnull=False,
    )
    columns = ("patient_id", "practice_id", "action", "occurred_at")
    return list(await audited.values_list(*columns))


async def knows_actor(
    organizations: Collection[OrganizationId],
    practices: Collection[PracticeId],
    *,
    user_id: UUID | None = None,
    client_id: str | None = None,
) -> bool:
    """Whether a user or partner client belongs to the reach (a membership or registration
    there) or has acted in it (former staff stay nameable in a breach report). Anything else
    answers like an id that does not exist."""
    if user_id is not None:
        member = Membership.filter(user_id=user_id).filter(
            Q(practice_id__in=list(practices))
            | Q(organization_id__in=list(organizations))
            | Q(practice__organization_id__in=list(organizations))
        )
        if await member.exists():
            return True
    elif client_id is not None:
        client = await PartnerClient.get_or_none(client_id=client_id)
        if client is not None:
            if UUID(str(client.organization_id)) in set(organizations):
                return True
            if {str(p) for p in practices} & {str(p) for p in client.practice_ids}:
                return True
    else:
        return False
    acted = AuditEvent.filter(_reach(organizations, practices), _actor(user_id, client_id))
    return await acted.exists()


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


async def chain_heads() -> list[AuditHead]:
    """Every chain's head, for a signed checkpoint (the whole log: an operator's job)."""
    return await AuditHead.all().order_by("chain")
