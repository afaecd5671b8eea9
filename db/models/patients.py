"""The patient record core and guardian links.

Names and date of birth stay plaintext for search and sorting. Contact details, identifiers and
notes are ciphertext (see ``db.crypto``) bound to practice, table, column and row. Searchable
identifiers carry a keyed blind index beside the ciphertext for exact-match lookup.
"""

from enum import StrEnum
from typing import ClassVar

from tortoise import fields
from tortoise.indexes import Index

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.users import User


class PatientStatus(StrEnum):
    ACTIVE = "ACTIVE"
    INACTIVE = "INACTIVE"
    DECEASED = "DECEASED"
    MERGED = "MERGED"  # a duplicate folded into another record, kept for the audit trail


class ResponsibilityEvidence(StrEnum):
    """What staff saw that proves parental responsibility (Children Act 1989 s.2-4A, 14A)."""

    BIRTH_CERTIFICATE = "BIRTH_CERTIFICATE"  # mother, or a parent registered on it
    PARENTAL_RESPONSIBILITY_AGREEMENT = "PARENTAL_RESPONSIBILITY_AGREEMENT"
    PARENTAL_RESPONSIBILITY_ORDER = "PARENTAL_RESPONSIBILITY_ORDER"
    CHILD_ARRANGEMENTS_ORDER = "CHILD_ARRANGEMENTS_ORDER"
    SPECIAL_GUARDIANSHIP_ORDER = "SPECIAL_GUARDIANSHIP_ORDER"
    ADOPTION_ORDER = "ADOPTION_ORDER"


class Patient(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name="patients", on_delete=fields.RESTRICT
    )
    practice_id: str
    patient_number = fields.IntField()
    title = fields.CharField(max_length=20, null=True)
    first_name = fields.CharField(max_length=100)
    last_name = fields.CharField(max_length=100)
    preferred_name = fields.CharField(max_length=100, null=True)
    # Case- and accent-folded "last first preferred" for prefix search without decryption.
    search_name = fields.CharField(max_length=320, db_index=True)
    date_of_birth = fields.DateField()
    sex_at_birth = fields.CharField(max_length=16, null=True)
    status = fields.CharField(max_length=16, default=PatientStatus.ACTIVE.value)
    # Derived from the latest medical history so reception lists need no decryption.
    has_medical_alert = fields.BooleanField(default=False)
    # Ciphertext columns (text tokens), and HMAC blind indexes for exact-match search.
    gender_identity = fields.TextField(null=True)
    email = fields.TextField(null=True)
    email_index = fields.CharField(max_length=64, null=True)
    mobile_phone = fields.TextField(null=True)
    mobile_index = fields.CharField(max_length=64, null=True)
    landline_phone = fields.TextField(null=True)
    address = fields.TextField(null=True)
    emergency_contact = fields.TextField(null=True)
    gp_details = fields.TextField(null=True)
    nhs_number = fields.TextField(null=True)
    nhs_number_index = fields.CharField(max_length=64, null=True)
    reception_notes = fields.TextField(null=True)
    clinical_notes = fields.TextField(null=True)
    preferred_practitioner: fields.ForeignKeyNullableRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    preferred_practitioner_id: str | None
    merged_into_id = fields.UUIDField(null=True)
    last_activity_at = fields.DatetimeField()
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "title": "searched and shown with the name (names are plaintext on purpose, see README)",
        "first_name": "searched and sorted by staff (README: names are plaintext on purpose)",
        "last_name": "searched and sorted by staff (README: names are plaintext on purpose)",
        "preferred_name": (
            "searched and shown on the board (README: names are plaintext on purpose); cleared on "
            "erasure"
        ),
        "search_name": (
            "folded copy of the three names above for prefix search; rebuilt when they change"
        ),
        "sex_at_birth": (
            "a fixed code from a closed list, not free text (statistics kept after anonymisation)"
        ),
        "status": "a fixed code from a closed list, not free text",
        "email_index": (
            "keyed HMAC blind index for exact-match search; useless without the blind-index key"
        ),
        "mobile_index": (
            "keyed HMAC blind index for exact-match search; useless without the blind-index key"
        ),
        "nhs_number_index": (
            "keyed HMAC blind index for exact-match search; useless without the blind-index key"
        ),
    }

    class Meta:
        table = "patient"
        unique_together = (("practice", "patient_number"),)
        indexes = (
            # Ranked name search reads slices of this in order (db.queries.patient_search).
            Index(
                fields=["practice_id", "search_name", "id"], name="patient_practice_search_name_id"
            ),
            ("practice_id", "date_of_birth"),
            ("practice_id", "email_index"),
            ("practice_id", "mobile_index"),
            ("practice_id", "nhs_number_index"),
        )
        ordering = ["search_name", "id"]


class GuardianLink(Entity):
    """A person with parental responsibility for a minor, both patients of the practice."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="guardian_links", on_delete=fields.CASCADE
    )
    patient_id: str
    guardian: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="ward_links", on_delete=fields.CASCADE
    )
    guardian_id: str
    relationship = fields.CharField(max_length=40)
    parental_responsibility = fields.BooleanField(default=True)
    # What proved parental responsibility when portal access was granted (a document kind),
    # who checked it and when; null until a grant.
    responsibility_evidence = fields.CharField(max_length=40, null=True)
    evidence_checked_by_user_id = fields.UUIDField(null=True)
    evidence_checked_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "relationship": "relationship label (mother, father, guardian); no contact or health data",
        "responsibility_evidence": (
            "a fixed code from a closed list, not free text (kind of document seen)"
        ),
    }

    class Meta:
        table = "patient_guardian"
        unique_together = (("patient", "guardian"),)
