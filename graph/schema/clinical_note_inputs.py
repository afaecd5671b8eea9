"""Inputs and payloads of the clinical note and note template mutations."""

from __future__ import annotations

import strawberry

from graph.ids import IdFields
from graph.schema.clinical_notes import (
    ClinicalNote,
    ClinicalNoteAmendment,
    ClinicalNoteSettings,
    NoteTemplate,
)


@strawberry.input(description="A value for one of the template's fields.")
class NoteFieldInput(IdFields):
    key: str = strawberry.field(description="The template field's key.")
    value: str | None = strawberry.field(
        default=None, description="What was written, up to 5000 characters; null clears it."
    )


@strawberry.input(description="A new draft note.")
class CreateClinicalNoteInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient the note is about.")
    appointment_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient's appointment it records (same practice)."
    )
    template_id: strawberry.ID | None = strawberry.field(
        default=None, description="Start from this practice template (its fields)."
    )
    text: str | None = strawberry.field(
        default=None, description="Free text, up to 20000 characters."
    )
    fields: list[NoteFieldInput] = strawberry.field(
        default_factory=list, description="Values for the template's fields."
    )


@strawberry.input(description="Changes to one's own draft; omitted parts stay as they are.")
class UpdateClinicalNoteDraftInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The draft note.")
    text: str | None = strawberry.field(
        default=strawberry.UNSET, description="New free text (omit to keep; null clears)."
    )
    fields: list[NoteFieldInput] = strawberry.field(
        default_factory=list, description="New values for some of the template's fields."
    )


@strawberry.input(description="The note to sign or co-sign.")
class ClinicalNoteIdInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The note.")


@strawberry.input(description="A correction appended to a signed or locked note.")
class AmendClinicalNoteInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The note.")
    text: str = strawberry.field(description="The correction, up to 20000 characters.")
    reason: str = strawberry.field(description="Why it is needed, up to 500 characters.")


@strawberry.type(description="The note after the change.")
class ClinicalNotePayload:
    note: ClinicalNote = strawberry.field(description="The note.")


@strawberry.type(description="The note and the amendment just appended.")
class AmendClinicalNotePayload:
    note: ClinicalNote = strawberry.field(description="The note (its text unchanged).")
    amendment: ClinicalNoteAmendment = strawberry.field(description="The new amendment.")


@strawberry.input(description="One field of a template.")
class NoteTemplateFieldInput(IdFields):
    key: str = strawberry.field(description="Lower-case key, e.g. `findings`.")
    label: str = strawberry.field(description="Label shown to clinicians.")


@strawberry.input(description="A new note template for a practice.")
class CreateNoteTemplateInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    name: str = strawberry.field(description="Name, e.g. Examination.")
    fields: list[NoteTemplateFieldInput] = strawberry.field(description="Its fields, in order.")


@strawberry.input(description="Changes to a template; existing notes keep their labels.")
class UpdateNoteTemplateInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The template.")
    name: str | None = strawberry.field(default=None, description="New name.")
    fields: list[NoteTemplateFieldInput] | None = strawberry.field(
        default=None, description="New fields, replacing the old list."
    )
    archived: bool | None = strawberry.field(
        default=None, description="Archive (no longer offered) or restore."
    )


@strawberry.type(description="The template after the change.")
class NoteTemplatePayload:
    template: NoteTemplate = strawberry.field(description="The template.")


@strawberry.input(description="A practice's note settings.")
class SetClinicalNoteSettingsInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    auto_lock_days: int = strawberry.field(description="Lock drafts older than this (1-365).")


@strawberry.type(description="The settings after the change.")
class ClinicalNoteSettingsPayload:
    settings: ClinicalNoteSettings = strawberry.field(description="The settings.")


@strawberry.input(description="Mark a staff member as a student or trainee, or not.")
class SetClinicalTraineeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    user_id: strawberry.ID = strawberry.field(description="The staff member.")
    trainee: bool = strawberry.field(description="Their notes need a co-signature.")


@strawberry.type(description="The staff member's trainee flag after the change.")
class SetClinicalTraineePayload:
    user_id: strawberry.ID = strawberry.field(description="The staff member.")
    trainee: bool = strawberry.field(description="Their notes need a co-signature.")
