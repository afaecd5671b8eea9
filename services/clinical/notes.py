"""Clinical notes: DRAFT → SIGNED, then immutable; corrections are appended amendments.

Why the states: a clinical record is evidence. Until signed, the author may rework a draft;
signing stores the SHA-256 of the exact text and fixes who signed and when, and from then on
nothing is edited in place: a correction is an amendment with its reason, appended and hashed
on its own. A trainee's signature leaves the note AWAITING_COSIGNATURE until a supervising
clinician (not a trainee, not the author) co-signs; only then is it SIGNED. A draft left too
long is LOCKED by ``aescrm lock-stale-notes`` (see ``note_locking``): locked like a signed note,
but without a signer, so the author may still sign it.

Editing a note that is no longer a draft is refused with ``CONFLICT`` (field ``id``) and
changes nothing. Note text lives in one encrypted JSON column per row; events carry ids only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from uuid import UUID, uuid4

from db.models import ClinicalNote, ClinicalNoteAmendment, Patient
from db.queries import clinical_notes as queries
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

MAX_TEXT = 20_000
MAX_FIELD_VALUE = 5_000
MAX_REASON = 500
MAX_PAGE = 100


class NoteStatus(StrEnum):
    DRAFT = "DRAFT"
    AWAITING_COSIGNATURE = "AWAITING_COSIGNATURE"
    SIGNED = "SIGNED"
    LOCKED = "LOCKED"


# What a patient (or a partner app) may read of their record: finished notes, never drafts.
FINISHED = frozenset({NoteStatus.SIGNED.value, NoteStatus.LOCKED.value})


@dataclass(frozen=True, slots=True)
class NoteField:
    key: str
    label: str
    value: str | None = None


@dataclass(frozen=True, slots=True)
class NoteContent:
    text: str | None = None
    fields: list[NoteField] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "text": self.text,
            "fields": [{"key": f.key, "label": f.label, "value": f.value} for f in self.fields],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NoteContent:
        return cls(text=data.get("text"), fields=[NoteField(**f) for f in data.get("fields", [])])


@dataclass(frozen=True, slots=True)
class Amendment:
    text: str
    reason: str


@dataclass(frozen=True, slots=True)
class NotePage:
    notes: list[ClinicalNote]
    has_next: bool


def content_hash(value: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical JSON of what was locked: stable across key rotation."""
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def content_of(note: ClinicalNote) -> NoteContent:
    return NoteContent.from_dict(sealing.reveal_json(note, "content") or {})


def amendment_of(row: ClinicalNoteAmendment) -> Amendment:
    data = sealing.reveal_json(row, "content") or {}
    return Amendment(text=str(data.get("text", "")), reason=str(data.get("reason", "")))


# -- reading ---------------------------------------------------------------------------------


def _finished_only(principal: Principal) -> bool:
    return principal.is_patient or principal.client_id is not None


async def readable_note(principal: Principal, note_id: UUID) -> ClinicalNote:
    """The note if the caller may see its patient; anything else is the same NOT_FOUND."""
    found = await queries.note(patient_access.readable_practices(principal), note_id)
    if found is None or (_finished_only(principal) and found.status not in FINISHED):
        raise NotFound("Clinical note")
    try:
        await patient_access.readable_patient(principal, UUID(str(found.patient_id)))
    except NotFound:
        raise NotFound("Clinical note") from None
    return found


async def notes_of(
    principal: Principal, *, patient_id: UUID, first: int, after: tuple[datetime, UUID] | None
) -> NotePage:
    patient = await patient_access.readable_patient(principal, patient_id)
    rows = await queries.notes_of_patient(
        [tenant_gate.practice_of(patient)],
        patient.id,
        statuses=FINISHED if _finished_only(principal) else None,
        after=after,
        limit=min(first, MAX_PAGE) + 1,
    )
    return NotePage(rows[:first], len(rows) > first)


async def amendments_of(
    principal: Principal, notes: list[ClinicalNote]
) -> dict[UUID, list[ClinicalNoteAmendment]]:
    found: dict[UUID, list[ClinicalNoteAmendment]] = {UUID(str(n.id)): [] for n in notes}
    rows = await queries.amendments(
        patient_access.readable_practices(principal), [UUID(str(n.id)) for n in notes]
    )
    for row in rows:
        found.setdefault(UUID(str(row.note_id)), []).append(row)
    return found


# -- input -----------------------------------------------------------------------------------


def _clean_text(text: str | None, name: str = "text") -> str | None:
    return None if text is None else v.text(text, name, max_length=MAX_TEXT)


def _clean_fields(
    given: dict[str, str | None], allowed: list[NoteField], previous: list[NoteField]
) -> list[NoteField]:
    """Values for the template's fields, in the template's order; unknown keys are refused."""
    keys = {f.key for f in allowed}
    unknown = sorted(set(given) - keys)
    if unknown:
        raise ValidationFailed("A field is not part of this note's template.", field="fields")
    old = {f.key: f.value for f in previous}
    return [
        NoteField(
            key=f.key,
            label=f.label,
            value=v.text(given[f.key] or "", "fields.value", max_length=MAX_FIELD_VALUE)
            if f.key in given
            else old.get(f.key),
        )
        for f in allowed
    ]


async def _appointment(patient: Patient, appointment_id: UUID | None) -> UUID | None:
    """This patient's appointment in the note's practice, else NOT_FOUND (never another's)."""
    if appointment_id is None:
        return None
    pid = tenant_gate.practice_of(patient)
    if not await queries.patient_appointment(pid, UUID(str(patient.id)), appointment_id):
        raise NotFound("Appointment")
    return appointment_id


# -- changes ---------------------------------------------------------------------------------


async def create(
    principal: Principal,
    *,
    patient_id: UUID,
    appointment_id: UUID | None,
    template_id: UUID | None,
    text: str | None,
    fields: dict[str, str | None],
) -> ClinicalNote:
    patient = await patient_access.readable_patient(principal, patient_id)
    await patient_access.require(
        principal, Scope.CLINICAL_WRITE, patient, action="CREATE clinical_note"
    )
    pid = tenant_gate.practice_of(patient)
    allowed: list[NoteField] = []
    if template_id is not None:
        template = await queries.template([pid], template_id)
        if template is None or template.archived:
            raise NotFound("Note template")
        allowed = [NoteField(key=s["key"], label=s["label"]) for s in template.field_specs]
    content = NoteContent(text=_clean_text(text), fields=_clean_fields(fields, allowed, []))
    linked = await _appointment(patient, appointment_id)
    assert principal.user_id is not None  # CLINICAL_WRITE is never held by an anonymous caller
    async with unit_of_work() as uow:
        note = ClinicalNote(
            id=uuid4(),
            practice_id=pid,
            patient_id=patient.id,
            appointment_id=linked,
            template_id=template_id,
            status=NoteStatus.DRAFT.value,
            author_user_id=principal.user_id,
        )
        note.content = sealing.seal_json(note, "content", content.as_dict()) or ""
        await note.save(using_db=uow.connection)
        await _record(uow, principal, patient, note, "CREATE", "CREATED", ["text", "fields"])
    return note


async def _writable(
    principal: Principal, note_id: UUID, action: str
) -> tuple[ClinicalNote, Patient]:
    note = await readable_note(principal, note_id)
    patient = await patient_access.readable_patient(principal, UUID(str(note.patient_id)))
    await patient_access.require(principal, Scope.CLINICAL_WRITE, patient, action=action)
    return note, patient


async def _locked_row(uow: UnitOfWork, note: ClinicalNote) -> ClinicalNote:
    return await queries.note_for_update(UUID(str(note.id)), uow.connection)


async def _refuse(principal: Principal, note: ClinicalNote, action: str, message: str) -> None:
    await audit.record_denied(principal, action=action, practice_id=tenant_gate.practice_of(note))
    raise PolicyDenied(message)


def _is_author(principal: Principal, note: ClinicalNote) -> bool:
    return str(note.author_user_id) == str(principal.user_id)


async def update_draft(
    principal: Principal,
    *,
    note_id: UUID,
    text: str | None,
    text_given: bool,
    fields: dict[str, str | None],
) -> ClinicalNote:
    """Only the author, only while DRAFT; a signed or locked note answers CONFLICT, unchanged."""
    action = "UPDATE clinical_note"
    note, patient = await _writable(principal, note_id, action)
    if not _is_author(principal, note):
        await _refuse(principal, note, action, "Only the note's author can edit its draft.")
    cleaned_text = _clean_text(text) if text_given else None
    async with unit_of_work() as uow:
        note = await _locked_row(uow, note)
        _require_draft(note)
        old = content_of(note)
        content = NoteContent(
            text=cleaned_text if text_given else old.text,
            fields=_clean_fields(fields, old.fields, old.fields),
        )
        changed = (["text"] if content.text != old.text else []) + (
            ["fields"] if content.fields != old.fields else []
        )
        if changed:
            note.content = sealing.seal_json(note, "content", content.as_dict()) or ""
            await note.save(using_db=uow.connection, update_fields=["content", "updated_at"])
            await _record(uow, principal, patient, note, "UPDATE", "UPDATED", changed)
    return note


def _require_draft(note: ClinicalNote) -> None:
    if note.status != NoteStatus.DRAFT.value:
        raise Conflict(
            "This note is no longer a draft and cannot be edited; add an amendment instead.",
            field="id",
        )


async def sign(principal: Principal, *, note_id: UUID) -> ClinicalNote:
    """The author signs their draft (or their auto-locked note); a trainee's awaits co-signing."""
    action = "SIGN clinical_note"
    note, patient = await _writable(principal, note_id, action)
    if not _is_author(principal, note):
        await _refuse(principal, note, action, "Only the note's author can sign it.")
    assert principal.user_id is not None
    trainee = await queries.is_trainee(tenant_gate.practice_of(note), principal.user_id)
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        note = await _locked_row(uow, note)
        if note.status not in (NoteStatus.DRAFT.value, NoteStatus.LOCKED.value):
            raise Conflict("This note is already signed.", field="id")
        if note.content_sha256 is None:
            note.content_sha256 = content_hash(content_of(note).as_dict())
            note.locked_at = now
        note.status = NoteStatus.AWAITING_COSIGNATURE.value if trainee else NoteStatus.SIGNED.value
        note.requires_cosignature = trainee
        note.signed_by_user_id = principal.user_id
        note.signed_at = now
        await note.save(using_db=uow.connection)
        await _record(uow, principal, patient, note, "SIGN", "SIGNED", ["status"])
    return note


async def cosign(principal: Principal, *, note_id: UUID) -> ClinicalNote:
    """A supervising clinician (CLINICAL_WRITE, not a trainee, not the author) completes it."""
    action = "COSIGN clinical_note"
    note, patient = await _writable(principal, note_id, action)
    assert principal.user_id is not None
    if _is_author(principal, note):
        await _refuse(principal, note, action, "A note cannot be co-signed by its author.")
    if await queries.is_trainee(tenant_gate.practice_of(note), principal.user_id):
        await _refuse(principal, note, action, "A trainee cannot co-sign a note.")
    async with unit_of_work() as uow:
        note = await _locked_row(uow, note)
        if note.status != NoteStatus.AWAITING_COSIGNATURE.value:
            raise Conflict("This note is not awaiting a co-signature.", field="id")
        note.status = NoteStatus.SIGNED.value
        note.cosigned_by_user_id = principal.user_id
        note.cosigned_at = datetime.now(UTC)
        await note.save(using_db=uow.connection)
        await _record(uow, principal, patient, note, "COSIGN", "COSIGNED", ["status"])
    return note


async def amend(
    principal: Principal, *, note_id: UUID, text: str, reason: str
) -> tuple[ClinicalNote, ClinicalNoteAmendment]:
    """Appends a correction to a locked note; the note's own text never changes."""
    action = "AMEND clinical_note"
    note, patient = await _writable(principal, note_id, action)
    clean = Amendment(
        text=v.text(text, "text", max_length=MAX_TEXT, required=True) or "",
        reason=v.text(reason, "reason", max_length=MAX_REASON, required=True) or "",
    )
    assert principal.user_id is not None
    async with unit_of_work() as uow:
        note = await _locked_row(uow, note)
        if note.status == NoteStatus.DRAFT.value:
            raise Conflict("A draft is edited, not amended.", field="id")
        count = await queries.amendment_count(UUID(str(note.id)), uow.connection)
        value = {"text": clean.text, "reason": clean.reason}
        row = ClinicalNoteAmendment(
            id=uuid4(),
            practice_id=note.practice_id,
            patient_id=note.patient_id,
            note_id=note.id,
            sequence=count + 1,
            content_sha256=content_hash(value),
            author_user_id=principal.user_id,
        )
        row.content = sealing.seal_json(row, "content", value) or ""
        await row.save(using_db=uow.connection)
        await _record(uow, principal, patient, note, "AMEND", "AMENDED", ["amendments"])
    return note, row


async def _record(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    note: ClinicalNote,
    verb: str,
    past: str,
    changed: list[str],
) -> None:
    """Audit row and ids-only event (no text ever leaves in an event) in the same transaction."""
    await record_change(
        uow,
        principal,
        patient,
        action=f"{verb} clinical_note",
        event=f"CLINICAL_NOTE_{past}",
        changed=changed,
        entity_type="ClinicalNote",
        entity_id=note.id,
    )


__all__ = [
    "FINISHED",
    "Amendment",
    "NoteContent",
    "NoteField",
    "NoteStatus",
    "amend",
    "content_hash",
    "content_of",
    "cosign",
    "create",
    "notes_of",
    "readable_note",
    "sign",
    "update_draft",
]
