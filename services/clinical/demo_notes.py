"""Demo clinical notes: the practice's templates and a few signed notes for demo patients, so
``clinicalNotes`` has something real to show on first run (the portal patient included)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from db.models import (
    ClinicalNote,
    ClinicalNoteAmendment,
    NoteTemplate,
    Patient,
    Practice,
    User,
)
from db.queries import clinical_notes as queries
from services import tenant_gate
from services.clinical.notes import NoteContent, NoteField, NoteStatus, content_hash
from services.patients import sealing

TEMPLATES = (
    ("Examination", (("complaint", "Complaint"), ("findings", "Findings"), ("plan", "Plan"))),
    ("Hygiene visit", (("bpe", "BPE"), ("oral_hygiene", "Oral hygiene"), ("advice", "Advice"))),
)
EXAMS = (
    (
        "Routine check-up, no complaints.",
        "No caries detected. Gingivae healthy.",
        "Recall 6 months.",
    ),
    (
        "Sensitivity UL6 to cold.",
        "Buccal cervical abrasion UL6.",
        "Fluoride varnish; review 3 months.",
    ),
    ("Broken filling LL7.", "Fractured disto-occlusal amalgam LL7, no pain.", "Composite DO LL7."),
)
NOTED_PATIENTS = 5


async def seed_notes(
    practice: Practice,
    clinicians: list[tuple[User, str]],
    patients: list[Patient],
    rng: random.Random,
) -> None:
    templates = []
    for name, specs in TEMPLATES:
        templates.append(
            await NoteTemplate.create(
                practice_id=practice.id,
                name=name,
                field_specs=[{"key": k, "label": label} for k, label in specs],
            )
        )
    exam = templates[0]
    author = clinicians[0][0]
    now = datetime.now(UTC)
    notes: list[ClinicalNote] = []
    amendments: list[ClinicalNoteAmendment] = []
    for patient in patients[:NOTED_PATIENTS]:
        complaint, findings, plan = rng.choice(EXAMS)
        visit = await queries.latest_visit_before(
            tenant_gate.practice_of(patient), UUID(str(patient.id)), now
        )
        content = NoteContent(
            text="Examination under local protocol; medical history reviewed.",
            fields=[
                NoteField("complaint", "Complaint", complaint),
                NoteField("findings", "Findings", findings),
                NoteField("plan", "Plan", plan),
            ],
        ).as_dict()
        signed_at = now - timedelta(days=rng.randint(1, 60))
        note = ClinicalNote(
            id=uuid4(),
            practice_id=practice.id,
            patient_id=patient.id,
            appointment_id=None if visit is None else visit.id,
            template_id=exam.id,
            status=NoteStatus.SIGNED.value,
            author_user_id=author.id,
            signed_by_user_id=author.id,
            signed_at=signed_at,
            locked_at=signed_at,
            content_sha256=content_hash(content),
        )
        note.content = sealing.seal_json(note, "content", content) or ""
        notes.append(note)
    first = notes[0]
    value = {"text": "Patient reports sensitivity settled.", "reason": "Telephone follow-up"}
    amendment = ClinicalNoteAmendment(
        id=uuid4(),
        practice_id=practice.id,
        patient_id=first.patient_id,
        note_id=first.id,
        sequence=1,
        content_sha256=content_hash(value),
        author_user_id=author.id,
    )
    amendment.content = sealing.seal_json(amendment, "content", value) or ""
    amendments.append(amendment)
    await ClinicalNote.bulk_create(notes)
    await ClinicalNoteAmendment.bulk_create(amendments)
