"""Versioned medical history questionnaires: each version is immutable once recorded.

The answers are one ciphertext (JSON inside) bound to the version's row, so no single answer
can be read or swapped without the key. Only the derived alert flag is plaintext.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class MedicalHistory(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="medical_histories", on_delete=fields.RESTRICT
    )
    patient_id: str
    version = fields.IntField()
    content = fields.TextField()  # ciphertext of the JSON answers
    has_alert = fields.BooleanField(default=False)
    # CLINICIAN_CONFIRMED or PATIENT_SIGNED, with who and when.
    attestation = fields.CharField(max_length=24)
    attested_at = fields.DatetimeField()
    attested_by_user_id = fields.UUIDField(null=True)
    recorded_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "attestation": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "medical_history"
        unique_together = (("patient", "version"),)
        ordering = ["patient_id", "-version"]
