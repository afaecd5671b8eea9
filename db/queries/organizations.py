"""Reads of organizations and practices: the tenants themselves.

A principal's reads take its tenant set first. The registry lookups further down take a plain
id: they serve the operator's commands (which act on the whole database), the system owner's
global lists, and credential checks (a partner's registered practices, a live subscription's
practice), and they return the tenant rows only, never a tenant's data.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment, Organization, Practice
from db.tenancy import OrganizationId, PracticeId


async def practices(allowed: Collection[PracticeId]) -> list[Practice]:
    return await Practice.filter(id__in=list(allowed)).order_by("name", "id")


async def practice(allowed: Collection[PracticeId], practice_id: UUID) -> Practice | None:
    if practice_id not in allowed:
        return None
    return await Practice.get_or_none(id=practice_id)


async def practices_by_ids(
    allowed: Collection[PracticeId], practice_ids: Collection[UUID]
) -> list[Practice]:
    if not allowed or not practice_ids:
        return []
    wanted = [i for i in practice_ids if i in allowed]
    return await Practice.filter(id__in=wanted) if wanted else []


async def organizations(allowed: Collection[OrganizationId]) -> list[Organization]:
    return await Organization.filter(id__in=list(allowed)).order_by("name", "id")


async def practice_row(practice_id: PracticeId, connection: BaseDBAsyncClient) -> Practice:
    """The practice of a row already read in scope (``DoesNotExist`` if it vanished)."""
    return await Practice.get(id=practice_id, using_db=connection)


async def every_practice() -> list[Practice]:
    return await Practice.all().order_by("name", "id")


async def every_organization() -> list[Organization]:
    return await Organization.all().order_by("name", "id")


async def practice_by_id(practice_id: UUID) -> Practice | None:
    return await Practice.get_or_none(id=practice_id)


async def organization_by_id(organization_id: UUID) -> Organization | None:
    return await Organization.get_or_none(id=organization_id)


async def practices_in_organization(
    organization_id: UUID | str, practice_ids: Collection[Any]
) -> list[Practice]:
    """Those of ``practice_ids`` that belong to the organization (the others are dropped)."""
    return await Practice.filter(id__in=list(practice_ids), organization_id=organization_id)


async def practice_for_update(practice_id: PracticeId, connection: BaseDBAsyncClient) -> Practice:
    """The practice locked for a settings change."""
    return await Practice.select_for_update().using_db(connection).get(id=practice_id)


async def organization_for_update(
    organization_id: OrganizationId, connection: BaseDBAsyncClient
) -> Organization:
    return await Organization.select_for_update().using_db(connection).get(id=organization_id)


async def future_appointments(practice_id: PracticeId, after: datetime) -> int:
    """Appointments still to come (not cancelled): what a time-zone change shows differently."""
    return (
        await Appointment.filter(practice_id=practice_id, starts_at__gte=after)
        .exclude(status="CANCELLED")
        .count()
    )
