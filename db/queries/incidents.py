"""Tenant-scoped reads of the breach register. The reach comes first: whole organisations (an
organisation role) and single practices (a practice role; practices of one organisation are
separate tenants for it)."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.expressions import Q

from db.models import BreachIncident
from db.tenancy import OrganizationId, PracticeId


def _reach(organizations: Collection[OrganizationId], practices: Collection[PracticeId]) -> Q:
    return Q(organization_id__in=list(organizations)) | Q(practice_id__in=list(practices))


async def incidents(
    organizations: Collection[OrganizationId], practices: Collection[PracticeId], *, limit: int
) -> list[BreachIncident]:
    """Newest first (the model's ordering)."""
    return await BreachIncident.filter(_reach(organizations, practices)).limit(limit)


async def incident(
    organizations: Collection[OrganizationId],
    practices: Collection[PracticeId],
    incident_id: UUID,
) -> BreachIncident | None:
    return await BreachIncident.get_or_none(_reach(organizations, practices), id=incident_id)
