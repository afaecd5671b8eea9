"""The consent ledger: one append-only row per decision, never updated or deleted.

The current state of a (patient, purpose, subject) is the newest row. ``subject`` names what a
purpose is about when it needs one, the partner client for DATA_SHARING or the treatment or
appointment id for TREATMENT, and is empty otherwise, so the latest-row query is one index scan.
On PostgreSQL a trigger (migration 0004) refuses UPDATE and DELETE.
"""

from enum import StrEnum
from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class ConsentPurpose(StrEnum):
    MARKETING_EMAIL = "MARKETING_EMAIL"
    MARKETING_SMS = "MARKETING_SMS"
    MARKETING_POST = "MARKETING_POST"
    CLINICAL_PHOTOGRAPHY = "CLINICAL_PHOTOGRAPHY"
    PHOTOS_IN_MARKETING = "PHOTOS_IN_MARKETING"
    RESEARCH = "RESEARCH"
    DATA_SHARING = "DATA_SHARING"
    TREATMENT = "TREATMENT"


class CaptureMethod(StrEnum):
    PORTAL = "PORTAL"
    RECEPTION = "RECEPTION"
    PAPER = "PAPER"
    PHONE = "PHONE"


class ConsentRecord(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="consent_records", on_delete=fields.RESTRICT
    )
    patient_id: str
    # Position in the patient's ledger: gap-free, unique, so "latest" never depends on clocks.
    seq = fields.IntField()
    purpose = fields.CharField(max_length=32)
    subject = fields.CharField(max_length=64, default="")
    granted = fields.BooleanField()
    policy_version = fields.CharField(max_length=40)
    method = fields.CharField(max_length=16)
    evidence_ref = fields.CharField(max_length=200, null=True)
    recorded_by_user_id = fields.UUIDField(null=True)
    recorded_by_role = fields.CharField(max_length=32, null=True)
    # When the patient gave or withdrew it (a paper form may be entered later).
    effective_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "purpose": "a fixed code from a closed list, not free text",
        "subject": "partner client id for DATA_SHARING, else empty",
        "policy_version": "version label of the privacy notice",
        "method": "a fixed code from a closed list, not free text",
        "evidence_ref": (
            "a reference to where the evidence is filed (form or recording id), kept readable as "
            "proof of consent; staff are told not to put personal data in it"
        ),
        "recorded_by_role": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "consent_record"
        unique_together = (("patient", "seq"),)
        indexes = (("patient_id", "purpose", "subject"), ("practice_id", "purpose", "subject"))
        ordering = ["patient_id", "seq"]
