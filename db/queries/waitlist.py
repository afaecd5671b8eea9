"""Tenant-scoped reads and changes of waitlist entries. The practice comes first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import WaitlistEntry
from db.tenancy import PracticeId

OLDEST_CANDIDATES = 100  # a freed slot is offered from the oldest entries only


async def candidates(
    practice_id: PracticeId, practitioner_id: UUID | str, connection: BaseDBAsyncClient
) -> list[WaitlistEntry]:
    """Active entries that would take this practitioner (or anyone), oldest first."""
    return (
        await WaitlistEntry.filter(practice_id=practice_id, active=True)
        .filter(Q(practitioner_id__isnull=True) | Q(practitioner_id=practitioner_id))
        .order_by("created_at", "id")
        .limit(OLDEST_CANDIDATES)
        .using_db(connection)
    )


async def mark_offered(
    practice_id: PracticeId,
    entry_ids: Collection[UUID],
    now: datetime,
    connection: BaseDBAsyncClient,
) -> None:
    query = WaitlistEntry.filter(id__in=list(entry_ids), practice_id=practice_id)
    await query.using_db(connection).update(last_offered_at=now)


async def deactivate(
    practice_id: PracticeId, entry_id: UUID, connection: BaseDBAsyncClient
) -> None:
    query = WaitlistEntry.filter(id=entry_id, practice_id=practice_id)
    await query.using_db(connection).update(active=False)


async def page(
    practice_id: PracticeId,
    *,
    patients: Collection[UUID] | None,
    after: UUID | None,
    limit: int,
) -> list[WaitlistEntry]:
    """Active entries keyset-ordered by id; only ``patients``' when given (the caller's
    visibility)."""
    query = WaitlistEntry.filter(practice_id=practice_id, active=True)
    if patients is not None:
        query = query.filter(patient_id__in=list(patients))
    if after is not None:
        query = query.filter(id__gt=after)
    return await query.order_by("id").limit(limit)
