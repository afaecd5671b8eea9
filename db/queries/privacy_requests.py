"""Tenant-scoped reads and changes of data-subject requests. The practice comes first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import DataSubjectRequest
from db.models.privacy import RequestKind, RequestStatus
from db.tenancy import PracticeId


async def listed(
    practice_id: PracticeId, *, statuses: Collection[str] | None, limit: int
) -> list[DataSubjectRequest]:
    """Soonest due first; only the given statuses when given."""
    query = DataSubjectRequest.filter(practice_id=practice_id)
    if statuses is not None:
        query = query.filter(status__in=list(statuses))
    return await query.order_by("due_at", "id").limit(limit)


async def complete_partial_erasures(
    practice_id: PracticeId, patient_id: UUID, at: datetime, connection: BaseDBAsyncClient
) -> int:
    """Erasure requests that waited for retention to end are complete once it has."""
    return await (
        DataSubjectRequest.filter(
            patient_id=patient_id,
            kind=RequestKind.ERASURE.value,
            status=RequestStatus.PARTIALLY_COMPLETED.value,
            practice_id=practice_id,
        )
        .using_db(connection)
        .update(status=RequestStatus.COMPLETED.value, completed_at=at)
    )
