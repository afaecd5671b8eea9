"""Tenant-scoped reads of perio exams, BPE records and their follow-ups. The allowed practices
come first; a row of another practice answers like a missing one (None)."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import BpeRecord, Patient, PerioExam, PerioFollowUp
from db.tenancy import PracticeId


async def lock_patient(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> None:
    """One writer per patient's perio record at a time (a draft is not saved over twice)."""
    await (
        Patient.select_for_update()
        .using_db(connection)
        .filter(id=patient_id, practice_id=practice_id)
        .first()
    )


async def exam(
    allowed: Collection[PracticeId],
    exam_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> PerioExam | None:
    if not allowed:
        return None
    query = PerioExam.filter(id=exam_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    return await (query.using_db(connection) if connection else query).first()


async def exams(
    allowed: Collection[PracticeId],
    patient_id: UUID,
    *,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 101,
    final_only: bool = False,
) -> list[PerioExam]:
    """The patient's exams, newest first (keyset on examined time, then id)."""
    if not allowed:
        return []
    query = PerioExam.filter(practice_id__in=list(allowed), patient_id=patient_id)
    if final_only:
        query = query.filter(status="FINAL")
    if after is not None:
        at, last = after
        query = query.filter(Q(examined_at__lt=at) | Q(examined_at=at, id__lt=last))
    return await query.order_by("-examined_at", "-id").limit(limit).all()


async def exams_by_id(
    allowed: Collection[PracticeId], patient_id: UUID, ids: Collection[UUID]
) -> list[PerioExam]:
    if not allowed or not ids:
        return []
    return await PerioExam.filter(
        practice_id__in=list(allowed), patient_id=patient_id, id__in=list(ids)
    ).all()


async def bpe_records(
    allowed: Collection[PracticeId],
    patient_id: UUID,
    *,
    after: tuple[datetime, UUID] | None = None,
    limit: int = 101,
) -> list[BpeRecord]:
    """The patient's BPEs, newest first."""
    if not allowed:
        return []
    query = BpeRecord.filter(practice_id__in=list(allowed), patient_id=patient_id)
    if after is not None:
        at, last = after
        query = query.filter(Q(examined_at__lt=at) | Q(examined_at=at, id__lt=last))
    return await query.order_by("-examined_at", "-id").limit(limit).all()


async def follow_ups_of(
    allowed: Collection[PracticeId], bpe_ids: Collection[UUID]
) -> dict[UUID, PerioFollowUp]:
    """The follow-up each BPE raised (one statement for a page of BPEs)."""
    if not allowed or not bpe_ids:
        return {}
    rows = await PerioFollowUp.filter(practice_id__in=list(allowed), bpe_id__in=list(bpe_ids))
    return {UUID(str(r.bpe_id)): r for r in rows}


async def open_follow_ups(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> list[PerioFollowUp]:
    return (
        await PerioFollowUp.filter(practice_id=practice_id, patient_id=patient_id, done_at=None)
        .using_db(connection)
        .all()
    )


async def move_to(practice_id: PracticeId, duplicate_id: UUID, survivor_id: UUID) -> list[str]:
    """A merge: the duplicate's perio record becomes the survivor's (times kept)."""
    moved = []
    same = {"practice_id": practice_id, "patient_id": duplicate_id}
    if await PerioExam.filter(**same).update(patient_id=survivor_id):
        moved.append("perioExams")
    if await BpeRecord.filter(**same).update(patient_id=survivor_id):
        moved.append("bpeRecords")
    await PerioFollowUp.filter(**same).update(patient_id=survivor_id)
    return moved
