"""Clinical note and template queries and mutations: parse ids, call one service, map back.

Every note a query returns is put in the request's read trail under its own id (entity
``ClinicalNote``, by ``AuditReads``) with the fields selected, so ``patient.accessLog`` names
each note read.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.clinical_note_inputs import (
    AmendClinicalNoteInput,
    AmendClinicalNotePayload,
    ClinicalNoteIdInput,
    ClinicalNotePayload,
    ClinicalNoteSettingsPayload,
    CreateClinicalNoteInput,
    CreateNoteTemplateInput,
    NoteFieldInput,
    NoteTemplateFieldInput,
    NoteTemplatePayload,
    SetClinicalNoteSettingsInput,
    SetClinicalTraineeInput,
    SetClinicalTraineePayload,
    UpdateClinicalNoteDraftInput,
    UpdateNoteTemplateInput,
)
from graph.schema.clinical_notes import (
    AmendmentBatch,
    ClinicalNote,
    ClinicalNoteAmendment,
    ClinicalNoteSettings,
    NoteTemplate,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.clinical import note_templates
from services.clinical import notes as service
from services.errors import ValidationFailed
from services.policy import Scope


def _values(fields: list[NoteFieldInput]) -> dict[str, str | None]:
    given: dict[str, str | None] = {}
    for item in fields:
        if item.key in given:
            raise ValidationFailed("A field is given twice.", field="fields")
        given[item.key] = item.value
    return given


def _specs(fields: list[NoteTemplateFieldInput]) -> list[note_templates.FieldSpec]:
    return [note_templates.FieldSpec(key=f.key, label=f.label) for f in fields]


@strawberry.type
class ClinicalNoteQueries:
    @strawberry.field(
        description="A patient's clinical notes, newest first (patients and partner apps see "
        "signed and locked notes only). Each note read is audited with its id.",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads()],
    )
    async def clinical_notes(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ClinicalNote] | None:
        page = await service.notes_of(
            info.context.principal,
            patient_id=id_argument(patient_id=patient_id),
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        batch = AmendmentBatch(page.notes)
        return Connection[ClinicalNote].build(
            page.notes,
            lambda n: ClinicalNote.from_model(n, batch),
            lambda n: [n.created_at.isoformat(), str(n.id)],
            has_next=page.has_next,
        )

    @strawberry.field(
        description="One clinical note by id (audited with its id).",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads()],
    )
    async def clinical_note(self, info: Info, id: strawberry.ID) -> ClinicalNote | None:
        found = await service.readable_note(info.context.principal, id_argument(id=id))
        return ClinicalNote.from_model(found)

    @strawberry.field(
        description="A practice's note templates, by name.",
        extensions=requires(Scope.CLINICAL_READ),
    )
    async def note_templates(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: Annotated[
            bool, strawberry.argument(description="Archived templates too (default false).")
        ] = False,
    ) -> list[NoteTemplate] | None:
        rows = await note_templates.listed(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            include_archived=include_archived,
        )
        return [NoteTemplate.from_model(r) for r in rows]

    @strawberry.field(
        description="A practice's clinical note settings.",
        extensions=requires(Scope.PRACTICE_READ),
    )
    async def clinical_note_settings(
        self, info: Info, practice_id: strawberry.ID
    ) -> ClinicalNoteSettings | None:
        days = await note_templates.auto_lock_days(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return ClinicalNoteSettings(practice_id=practice_id, auto_lock_days=days)


@strawberry.type
class ClinicalNoteMutations:
    @strawberry.mutation(description="Start a draft note (clinical:write).")
    async def create_clinical_note(
        self, info: Info, input: CreateClinicalNoteInput
    ) -> ClinicalNotePayload | None:
        note = await service.create(
            info.context.principal,
            patient_id=input.ids.patient_id,
            appointment_id=input.optional_ids.appointment_id,
            template_id=input.optional_ids.template_id,
            text=input.text,
            fields=_values(input.fields),
        )
        return ClinicalNotePayload(note=ClinicalNote.from_model(note))

    @strawberry.mutation(
        description="Edit one's own draft. A note no longer in DRAFT answers CONFLICT (field "
        "`id`) and nothing changes: amend it instead."
    )
    async def update_clinical_note_draft(
        self, info: Info, input: UpdateClinicalNoteDraftInput
    ) -> ClinicalNotePayload | None:
        given = input.text is not strawberry.UNSET
        note = await service.update_draft(
            info.context.principal,
            note_id=input.ids.id,
            text=input.text if given else None,
            text_given=given,
            fields=_values(input.fields),
        )
        return ClinicalNotePayload(note=ClinicalNote.from_model(note))

    @strawberry.mutation(
        description="Sign one's own draft (or one's auto-locked note): locks the text and "
        "stores its SHA-256; a trainee's note then awaits a co-signature."
    )
    async def sign_clinical_note(
        self, info: Info, input: ClinicalNoteIdInput
    ) -> ClinicalNotePayload | None:
        note = await service.sign(info.context.principal, note_id=input.ids.id)
        return ClinicalNotePayload(note=ClinicalNote.from_model(note))

    @strawberry.mutation(
        description="Co-sign a trainee's note as the supervising clinician (not a trainee, not "
        "the author)."
    )
    async def co_sign_clinical_note(
        self, info: Info, input: ClinicalNoteIdInput
    ) -> ClinicalNotePayload | None:
        note = await service.cosign(info.context.principal, note_id=input.ids.id)
        return ClinicalNotePayload(note=ClinicalNote.from_model(note))

    @strawberry.mutation(
        description="Append an amendment with its reason to a signed or locked note."
    )
    async def amend_clinical_note(
        self, info: Info, input: AmendClinicalNoteInput
    ) -> AmendClinicalNotePayload | None:
        note, row = await service.amend(
            info.context.principal,
            note_id=input.ids.id,
            text=input.text,
            reason=input.reason,
        )
        return AmendClinicalNotePayload(
            note=ClinicalNote.from_model(note),
            amendment=ClinicalNoteAmendment.from_model(row),
        )

    @strawberry.mutation(description="Add a note template to a practice (clinical:write).")
    async def create_note_template(
        self, info: Info, input: CreateNoteTemplateInput
    ) -> NoteTemplatePayload | None:
        row = await note_templates.create(
            info.context.principal,
            practice_id=input.ids.practice_id,
            name=input.name,
            fields=_specs(input.fields),
        )
        return NoteTemplatePayload(template=NoteTemplate.from_model(row))

    @strawberry.mutation(description="Rename, re-field, archive or restore a note template.")
    async def update_note_template(
        self, info: Info, input: UpdateNoteTemplateInput
    ) -> NoteTemplatePayload | None:
        row = await note_templates.update(
            info.context.principal,
            template_id=input.ids.id,
            name=input.name,
            fields=None if input.fields is None else _specs(input.fields),
            archived=input.archived,
        )
        return NoteTemplatePayload(template=NoteTemplate.from_model(row))

    @strawberry.mutation(description="Set after how many days drafts are auto-locked.")
    async def set_clinical_note_settings(
        self, info: Info, input: SetClinicalNoteSettingsInput
    ) -> ClinicalNoteSettingsPayload | None:
        days = await note_templates.set_auto_lock_days(
            info.context.principal,
            practice_id=input.ids.practice_id,
            days=input.auto_lock_days,
        )
        return ClinicalNoteSettingsPayload(
            settings=ClinicalNoteSettings(practice_id=input.practice_id, auto_lock_days=days)
        )

    @strawberry.mutation(
        description="Mark a staff member as a student or trainee (staff:admin): their notes "
        "then need a co-signature."
    )
    async def set_clinical_trainee(
        self, info: Info, input: SetClinicalTraineeInput
    ) -> SetClinicalTraineePayload | None:
        trainee = await note_templates.set_trainee(
            info.context.principal,
            practice_id=input.ids.practice_id,
            user_id=input.ids.user_id,
            trainee=input.trainee,
        )
        return SetClinicalTraineePayload(user_id=input.user_id, trainee=trainee)
