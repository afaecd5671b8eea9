"""Clinical notes: a dentist's contemporaneous record of a visit, signed and then immutable.

A note's text (and any template field values) is one ciphertext bound to its row. Signing (or
the auto-lock of an old draft) stores the SHA-256 of that plaintext, so a later change of the
stored text is detectable; after that only amendments are appended, each with its reason and
its own hash. Nothing here is ever updated in place once locked.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class ClinicalNote(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    # Checked to be this patient's appointment in the same practice when the note is created.
    appointment_id = fields.UUIDField(null=True)
    template_id = fields.UUIDField(null=True)
    # DRAFT, AWAITING_COSIGNATURE, SIGNED or LOCKED (auto-locked draft).
    status = fields.CharField(max_length=24, default="DRAFT")
    content = fields.TextField()  # ciphertext of {"text": ..., "fields": [...]}
    content_sha256 = fields.CharField(max_length=64, null=True)
    author_user_id = fields.UUIDField()
    requires_cosignature = fields.BooleanField(default=False)
    signed_by_user_id = fields.UUIDField(null=True)
    signed_at = fields.DatetimeField(null=True)
    cosigned_by_user_id = fields.UUIDField(null=True)
    cosigned_at = fields.DatetimeField(null=True)
    locked_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
        "content_sha256": "a hex digest of the signed text; reveals nothing of it",
    }

    class Meta:
        table = "clinical_note"
        indexes = (("patient_id", "created_at"), ("status", "created_at"))


class ClinicalNoteAmendment(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    note: fields.ForeignKeyRelation[ClinicalNote] = fields.ForeignKeyField(
        "models.ClinicalNote", related_name="amendments", on_delete=fields.CASCADE
    )
    note_id: str
    sequence = fields.IntField()
    content = fields.TextField()  # ciphertext of {"text": ..., "reason": ...}
    content_sha256 = fields.CharField(max_length=64)
    author_user_id = fields.UUIDField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "content_sha256": "a hex digest of the amendment; reveals nothing of it",
    }

    class Meta:
        table = "clinical_note_amendment"
        unique_together = (("note", "sequence"),)
        ordering = ["note_id", "sequence"]


class NoteTemplate(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=120)
    # [{"key": "complaint", "label": "Presenting complaint"}, ...]
    field_specs: list[dict[str, str]] = fields.JSONField(default=list)
    archived = fields.BooleanField(default=False)
    created_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a practice's label for a kind of note; holds no patient data",
        "field_specs": "field keys and labels the practice defines; holds no patient data",
    }

    class Meta:
        table = "note_template"
        ordering = ["name"]


# Per practice; a practice without a row uses the default (services.clinical.note_templates).
class ClinicalNoteSettings(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, unique=True, on_delete=fields.CASCADE
    )
    practice_id: str
    auto_lock_days = fields.IntField()

    class Meta:
        table = "clinical_note_settings"
