"""Tenant-scoped reads of organizations and practices. The tenant set always comes first."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from db.models import Organization, Practice
from db.tenancy import OrganizationId, PracticeId


async def practices(allowed: Collection[PracticeId]) -> list[Practice]:
    return await Practice.filter(id__in=list(allowed)).order_by("name", "id")


async def practice(allowed: Collection[PracticeId], practice_id: UUID) -> Practice | None:
    if practice_id not in allowed:
        return None
    return await Practice.get_or_none(id=practice_id)


async def organizations(allowed: Collection[OrganizationId]) -> list[Organization]:
    return await Organization.filter(id__in=list(allowed)).order_by("name", "id")
