"""Clinical notes, their amendments and note templates as the graph shows them.

Who wrote, signed and when is shown to anyone who may read the patient (the front desk sees
that a note exists and whether it is signed); the text, the field values, the hash and the
amendments are ``@requires clinical:read`` (a receptionist gets null with FORBIDDEN). Amendments
of one page of notes are read in one statement, on first use.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from uuid import UUID

import strawberry

from db.models import ClinicalNote as NoteModel
from db.models import ClinicalNoteAmendment as AmendmentModel
from db.models import NoteTemplate as TemplateModel
from graph.audit_extension import ReadRecord
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.nodes import Node
from services.clinical import note_templates
from services.clinical import notes as service
from services.policy import Scope

CLINICAL = requires(Scope.CLINICAL_READ)

NoteStatusEnum = strawberry.enum(
    service.NoteStatus,
    name="ClinicalNoteStatus",
    description="DRAFT (editable by its author), AWAITING_COSIGNATURE (signed by a trainee), "
    "SIGNED, or LOCKED (a draft auto-locked after the practice's period; still signable).",
)


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


class AmendmentBatch:
    """The amendments of every note of one response, loaded once when first asked for."""

    def __init__(self, notes: list[NoteModel]) -> None:
        self.notes = notes
        self._loaded: asyncio.Future[dict[UUID, list[AmendmentModel]]] | None = None

    async def of(self, info: Info, note_id: UUID) -> list[AmendmentModel]:
        if self._loaded is None:
            self._loaded = asyncio.get_running_loop().create_future()
            try:
                found = await service.amendments_of(info.context.principal, self.notes)
            except BaseException as error:
                self._loaded.set_exception(error)
                raise
            self._loaded.set_result(found)
        return (await asyncio.shield(self._loaded)).get(note_id, [])


@strawberry.type(description="One field of a note written from a template.")
class NoteFieldValue:
    key: str = strawberry.field(description="The template's key, e.g. `findings`.")
    label: str = strawberry.field(description="The label when the note was written.")
    value: str | None = strawberry.field(description="What the clinician wrote.")


@strawberry.type(description="A correction appended to a signed or locked note.")
class ClinicalNoteAmendment:
    id: strawberry.ID
    sequence: int = strawberry.field(description="1 for the first amendment of the note, then +1.")
    author_id: strawberry.ID = strawberry.field(description="Who wrote the amendment.")
    created_at: datetime = strawberry.field(description="When it was appended.")
    text: str = strawberry.field(description="The correction or addition.")
    reason: str = strawberry.field(description="Why it was needed.")
    content_hash: str = strawberry.field(description="SHA-256 (hex) of the text and reason.")

    @classmethod
    def from_model(cls, model: AmendmentModel) -> ClinicalNoteAmendment:
        value = service.amendment_of(model)
        return cls(
            id=strawberry.ID(str(model.id)),
            sequence=model.sequence,
            author_id=strawberry.ID(str(model.author_user_id)),
            created_at=model.created_at,
            text=value.text,
            reason=value.reason,
            content_hash=model.content_sha256,
        )


@strawberry.type(description="A clinical note about a patient, optionally for one appointment.")
class ClinicalNote(Node):
    id: strawberry.ID
    patient: strawberry.ID = strawberry.field(name="patientId", description="The patient.")
    appointment_id: strawberry.ID | None = strawberry.field(
        description="The appointment it records, if any (same patient and practice)."
    )
    template_id: strawberry.ID | None = strawberry.field(
        description="The template it was written from, if any."
    )
    status: NoteStatusEnum = strawberry.field(description="Where the note is in its life.")  # type: ignore[valid-type]
    author_id: strawberry.ID = strawberry.field(description="Who wrote it.")
    created_at: datetime = strawberry.field(description="When it was started.")
    updated_at: datetime = strawberry.field(description="Last change of the draft or status.")
    signed_by_id: strawberry.ID | None = strawberry.field(description="Who signed it.")
    signed_at: datetime | None = strawberry.field(description="When it was signed.")
    requires_cosignature: bool = strawberry.field(
        description="Written by a trainee: counts as signed only once co-signed."
    )
    cosigned_by_id: strawberry.ID | None = strawberry.field(
        description="The supervising clinician who co-signed it."
    )
    cosigned_at: datetime | None = strawberry.field(description="When it was co-signed.")
    locked_at: datetime | None = strawberry.field(
        description="When its text was locked (signed, or auto-locked as a stale draft)."
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    model: strawberry.Private[NoteModel]
    batch: strawberry.Private[AmendmentBatch]
    cache: strawberry.Private[dict[str, service.NoteContent]]

    @classmethod
    def from_model(cls, model: NoteModel, batch: AmendmentBatch | None = None) -> ClinicalNote:
        return cls(
            id=strawberry.ID(str(model.id)),
            patient=strawberry.ID(str(model.patient_id)),
            appointment_id=_id(model.appointment_id),
            template_id=_id(model.template_id),
            status=service.NoteStatus(model.status),
            author_id=strawberry.ID(str(model.author_user_id)),
            created_at=model.created_at,
            updated_at=model.updated_at,
            signed_by_id=_id(model.signed_by_user_id),
            signed_at=model.signed_at,
            requires_cosignature=model.requires_cosignature,
            cosigned_by_id=_id(model.cosigned_by_user_id),
            cosigned_at=model.cosigned_at,
            locked_at=model.locked_at,
            practice_id=UUID(str(model.practice_id)),
            patient_id=UUID(str(model.patient_id)),
            model=model,
            batch=batch or AmendmentBatch([model]),
            cache={},
        )

    def read_record(self) -> ReadRecord:
        """Each note read is audited under its own id (``AuditReads``)."""
        return ReadRecord("ClinicalNote", self.model.id, self.patient_id, self.practice_id)

    def content(self) -> service.NoteContent:
        if "content" not in self.cache:  # decrypt once per note, however many fields
            self.cache["content"] = service.content_of(self.model)
        return self.cache["content"]

    @strawberry.field(description="The note's free text (clinical:read).", extensions=CLINICAL)
    def text(self) -> str | None:
        return self.content().text

    @strawberry.field(
        description="The template's fields with what was written (clinical:read).",
        extensions=CLINICAL,
    )
    def fields(self) -> list[NoteFieldValue] | None:
        return [
            NoteFieldValue(key=f.key, label=f.label, value=f.value) for f in self.content().fields
        ]

    @strawberry.field(
        description="SHA-256 (hex) of the text and fields as locked when signed or auto-locked "
        "(clinical:read); null for a draft.",
        extensions=CLINICAL,
    )
    def content_hash(self) -> str | None:
        return self.model.content_sha256

    @strawberry.field(
        description="Amendments appended after signing, oldest first (clinical:read).",
        extensions=CLINICAL,
    )
    async def amendments(self, info: Info) -> list[ClinicalNoteAmendment] | None:
        rows = await self.batch.of(info, UUID(str(self.model.id)))
        return [ClinicalNoteAmendment.from_model(r) for r in rows]


@strawberry.type(description="One field a template asks for.")
class NoteTemplateField:
    key: str = strawberry.field(description="Stable key, e.g. `complaint`.")
    label: str = strawberry.field(description="What the clinician sees, e.g. `Complaint`.")


@strawberry.type(description="A practice's note template, e.g. Examination.")
class NoteTemplate:
    id: strawberry.ID
    name: str = strawberry.field(description="The template's name.")
    fields: list[NoteTemplateField] = strawberry.field(description="Its fields, in order.")
    archived: bool = strawberry.field(description="No longer offered for new notes.")

    @classmethod
    def from_model(cls, model: TemplateModel) -> NoteTemplate:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            fields=[
                NoteTemplateField(key=s.key, label=s.label) for s in note_templates.specs_of(model)
            ],
            archived=model.archived,
        )


@strawberry.type(description="A practice's clinical note settings.")
class ClinicalNoteSettings:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    auto_lock_days: int = strawberry.field(
        description="Drafts older than this many days are locked by `aescrm lock-stale-notes`."
    )
