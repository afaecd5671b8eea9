"""Tenant-scoped reads and removal of recalls. The practice comes first."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import Recall
from db.tenancy import PracticeId


async def recall(
    practice_id: PracticeId,
    patient_id: UUID,
    kind: str,
    connection: BaseDBAsyncClient | None = None,
) -> Recall | None:
    """The patient's recall of ``kind`` (one per patient and kind)."""
    query = Recall.filter(practice_id=practice_id, patient_id=patient_id, kind=kind)
    return await query.using_db(connection).first()


async def remove(practice_id: PracticeId, recall_id: UUID, connection: BaseDBAsyncClient) -> None:
    await Recall.filter(id=recall_id, practice_id=practice_id).using_db(connection).delete()


async def due(
    practice_id: PracticeId,
    until: date,
    *,
    patients: Collection[UUID] | None,
    after: tuple[date, UUID] | None,
    limit: int,
) -> list[Recall]:
    """Recalls due on or before ``until``, keyset-ordered by (due_on, id); only ``patients``'
    when given (the caller's visibility)."""
    query = Recall.filter(practice_id=practice_id, due_on__lte=until)
    if patients is not None:
        query = query.filter(patient_id__in=list(patients))
    if after is not None:
        day, last = after
        query = query.filter(Q(due_on__gt=day) | Q(due_on=day, id__gt=last))
    return await query.order_by("due_on", "id").limit(limit)
