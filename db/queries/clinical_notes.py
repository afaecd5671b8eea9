"""Tenant-scoped reads of clinical notes, their amendments and note templates.

The allowed practices come first; a note of another practice reads exactly like a missing one.
Notes page newest first by (created_at, id), a stable keyset.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import (
    Appointment,
    ClinicalNote,
    ClinicalNoteAmendment,
    ClinicalNoteSettings,
    Membership,
    NoteTemplate,
    Patient,
)
from db.tenancy import PracticeId


async def note(allowed: Collection[PracticeId], note_id: UUID) -> ClinicalNote | None:
    if not allowed:
        return None
    return await ClinicalNote.get_or_none(id=note_id, practice_id__in=list(allowed))


async def notes_of_patient(
    allowed: Collection[PracticeId],
    patient_id: UUID,
    *,
    statuses: Collection[str] | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[ClinicalNote]:
    """Newest first; ``statuses`` narrows (patients and partners see finished notes only)."""
    if not allowed:
        return []
    query = ClinicalNote.filter(patient_id=patient_id, practice_id__in=list(allowed))
    if statuses is not None:
        query = query.filter(status__in=list(statuses))
    if after is not None:
        at, last_id = after
        query = query.filter(Q(created_at__lt=at) | Q(created_at=at, id__lt=last_id))
    return await query.order_by("-created_at", "-id").limit(limit)


async def amendments(
    allowed: Collection[PracticeId], note_ids: Collection[UUID]
) -> list[ClinicalNoteAmendment]:
    if not allowed or not note_ids:
        return []
    return await ClinicalNoteAmendment.filter(
        note_id__in=list(note_ids), practice_id__in=list(allowed)
    ).order_by("note_id", "sequence")


async def template(allowed: Collection[PracticeId], template_id: UUID) -> NoteTemplate | None:
    if not allowed:
        return None
    return await NoteTemplate.get_or_none(id=template_id, practice_id__in=list(allowed))


async def templates(
    allowed: Collection[PracticeId], practice_id: PracticeId, *, include_archived: bool
) -> list[NoteTemplate]:
    if practice_id not in allowed:
        return []
    query = NoteTemplate.filter(practice_id=practice_id)
    if not include_archived:
        query = query.filter(archived=False)
    return await query.order_by("name", "id")


async def auto_lock_days(practice_id: PracticeId) -> int | None:
    row = await ClinicalNoteSettings.get_or_none(practice_id=practice_id)
    return None if row is None else row.auto_lock_days


async def drafts_created_before(cutoff: datetime) -> list[ClinicalNote]:
    """Every practice's drafts older than ``cutoff`` (the auto-lock job, run by an operator)."""
    return await ClinicalNote.filter(status="DRAFT", created_at__lt=cutoff).only(
        "id", "practice_id", "created_at"
    )


async def is_trainee(practice_id: PracticeId, user_id: UUID) -> bool:
    """A student or trainee in this practice (any of their memberships there says so)."""
    return await Membership.filter(practice_id=practice_id, user_id=user_id, trainee=True).exists()


async def patient_appointment(
    practice_id: PracticeId, patient_id: UUID, appointment_id: UUID
) -> bool:
    """The appointment exists, in this practice, for this patient."""
    return await Appointment.exists(
        id=appointment_id, practice_id=practice_id, patient_id=patient_id
    )


async def set_trainee(
    practice_id: PracticeId, user_id: UUID, trainee: bool, connection: BaseDBAsyncClient
) -> int:
    """Flags the user's staff memberships in this practice; 0 when they hold none there."""
    return await (
        Membership.filter(practice_id=practice_id, user_id=user_id, patient_id__isnull=True)
        .exclude(role__in=["PATIENT", "PARTNER"])
        .using_db(connection)
        .update(trainee=trainee)
    )


async def note_for_update(note_id: UUID, connection: BaseDBAsyncClient) -> ClinicalNote:
    """The note, row-locked in the caller's transaction (its id came from a scoped read)."""
    return await ClinicalNote.select_for_update().using_db(connection).get(id=note_id)


async def patient_of_note(note: ClinicalNote, connection: BaseDBAsyncClient) -> Patient:
    return (
        await Patient.filter(id=note.patient_id, practice_id=note.practice_id)
        .using_db(connection)
        .get()
    )


async def amendment_count(note_id: UUID, connection: BaseDBAsyncClient) -> int:
    return await ClinicalNoteAmendment.filter(note_id=note_id).using_db(connection).count()


async def settings_for_update(
    practice_id: PracticeId, connection: BaseDBAsyncClient
) -> ClinicalNoteSettings | None:
    return (
        await ClinicalNoteSettings.select_for_update()
        .using_db(connection)
        .get_or_none(practice_id=practice_id)
    )


async def latest_visit_before(
    practice_id: PracticeId, patient_id: UUID, before: datetime
) -> Appointment | None:
    """The patient's last appointment before ``before`` (demo notes record a real visit)."""
    return (
        await Appointment.filter(
            practice_id=practice_id, patient_id=patient_id, starts_at__lt=before
        )
        .order_by("-starts_at")
        .first()
    )


async def move_to_patient(practice_id: PracticeId, duplicate_id: UUID, survivor_id: UUID) -> int:
    """A merge: the duplicate's notes and amendments become the survivor's (both patients of
    ``practice_id``, checked by the merge). Returns how many notes moved."""
    moved = await ClinicalNote.filter(practice_id=practice_id, patient_id=duplicate_id).update(
        patient_id=survivor_id
    )
    await ClinicalNoteAmendment.filter(practice_id=practice_id, patient_id=duplicate_id).update(
        patient_id=survivor_id
    )
    return moved
