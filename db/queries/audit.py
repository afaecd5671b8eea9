"""Tenant-scoped reads of the audit log (newest first, keyset-paginated).

A row names a patient in one of two ways: its own ``patient_id`` (a read or change of that
record; board reads before migration 0012, one row per patient shown), or a link row in
``audit_read_patient`` (a read that showed many patients, such as the board). Every reader
asking "which rows concern this patient" or "which patients did these rows concern" reads both.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q, Subquery

from db.models import Membership, PartnerClient, User
from db.models.audit import AuditEvent, AuditHead, AuditReadPatient
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
    if patient_id is None:
        return await query.order_by("-occurred_at", "-id").limit(limit)
    # Two index lookups merged (an OR across the link table would scan the log): the rows
    # naming the patient themselves, and the reads that showed them among others.
    direct = query.filter(patient_id=patient_id)
    linked = query.filter(id__in=Subquery(_links_of(patient_id)))
    found = {
        row.id: row
        for query in (direct, linked)
        for row in await query.order_by("-occurred_at", "-id").limit(limit)
    }
    rows = sorted(found.values(), key=lambda r: (r.occurred_at, UUID(str(r.id))), reverse=True)
    return rows[:limit]


def _links_of(patient_id: UUID) -> Any:
    """The ids of the audit rows whose read showed the patient among others (a subquery)."""
    return AuditReadPatient.filter(patient_id=patient_id).values("audit_id")


async def reads_naming(patient_id: UUID) -> list[dict[str, Any]]:
    """Audit rows (as values) of reads that showed the patient among others (the export's
    access log; rows naming the patient themselves are found by their ``patient_id``)."""
    return list(await AuditEvent.filter(id__in=Subquery(_links_of(patient_id))).values())


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
    occurred_at) per row naming a patient, and per patient a read showed among others."""
    audited = AuditEvent.filter(
        _reach(organizations, practices),
        _actor(user_id, client_id),
        occurred_at__gte=since,
        occurred_at__lt=until,
        outcome="OK",
    )
    columns = ("patient_id", "practice_id", "action", "occurred_at")
    named = await audited.filter(patient_id__isnull=False).values_list(*columns)
    shown = await AuditReadPatient.filter(audit_id__in=Subquery(audited.values("id"))).values_list(
        "patient_id", "audit__practice_id", "audit__action", "audit__occurred_at"
    )
    return [*named, *shown]


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
