"""Consent form templates (versioned per practice) and the instances patients sign.

A template edit inserts a new version with the same ``form_key``; a signed instance points at
the exact version it showed and keeps a SHA-256 of what was signed, so it never changes.
"""

from typing import Any, ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class ConsentFormTemplate(Entity):
    """One version of a practice's treatment-specific consent form."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    form_key = fields.UUIDField()  # the same for every version of one form
    version = fields.IntField(default=1)
    title = fields.CharField(max_length=200)
    treatment_kind = fields.CharField(max_length=16)  # TOXIN, FILLER, SKIN_BOOSTER, OTHER
    purpose = fields.CharField(max_length=16)  # CONSULTATION (starts cooling-off), TREATMENT
    risks_text = fields.TextField()
    questions: list[dict[str, Any]] = fields.JSONField(default=list)
    created_by_user_id = fields.UUIDField(null=True)
    superseded_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "title": "a form's title, the same for every patient",
        "treatment_kind": "a fixed code from a closed list, not free text",
        "purpose": "a fixed code from a closed list, not free text",
        "risks_text": "the practice's standard risk wording, the same for every patient",
        "questions": "the practice's standard questions, the same for every patient",
    }

    class Meta:
        table = "consent_form_template"
        unique_together = (("form_key", "version"),)
        indexes = (("practice_id", "superseded_at"),)
        ordering = ["practice_id", "title", "version"]


class ConsentFormInstance(Entity):
    """One patient's copy of a form version: PENDING until signed, then SIGNED for good
    (or VOIDED, never edited)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    template: fields.ForeignKeyRelation[ConsentFormTemplate] = fields.ForeignKeyField(
        "models.ConsentFormTemplate", related_name=False, on_delete=fields.RESTRICT
    )
    template_id: str
    purpose = fields.CharField(max_length=16)  # copied from the template version
    treatment_kind = fields.CharField(max_length=16)  # copied from the template version
    status = fields.CharField(max_length=16, default="PENDING")
    appointment_id = fields.UUIDField(null=True)
    treatment_id = fields.UUIDField(null=True)
    answers: str | None = fields.TextField(null=True)  # ciphertext (JSON of the answers)
    signed_name: str | None = fields.TextField(null=True)  # ciphertext
    signature_document_id = fields.UUIDField(null=True)
    signed_at = fields.DatetimeField(null=True)
    signed_ip: str | None = fields.TextField(null=True)  # ciphertext
    signed_user_agent: str | None = fields.TextField(null=True)  # ciphertext
    witness_user_id = fields.UUIDField(null=True)
    consent_record_id = fields.UUIDField(null=True)
    content_sha256 = fields.CharField(max_length=64, null=True)
    pdf_document_id = fields.UUIDField(null=True)  # the signed form rendered (CONSENT_FORM)
    voided_at = fields.DatetimeField(null=True)
    void_reason: str | None = fields.TextField(null=True)  # ciphertext
    created_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "purpose": "a fixed code from a closed list, not free text",
        "treatment_kind": "a fixed code from a closed list, not free text",
        "status": "a fixed code from a closed list, not free text",
        "content_sha256": "a hash of the signed content, not readable data",
    }

    class Meta:
        table = "consent_form_instance"
        indexes = (("patient_id", "purpose", "signed_at"), ("practice_id", "created_at"))
        ordering = ["patient_id", "created_at"]
