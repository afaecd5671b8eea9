"""The patient record core. Names and date of birth stay plaintext for search and sorting;
clinical and contact fields are ciphertext (see ``db.crypto``), bound to their row."""

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice


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
    status = fields.CharField(max_length=16, default="ACTIVE")
    has_medical_alert = fields.BooleanField(default=False)
    clinical_notes = fields.TextField(null=True)  # ciphertext
    last_activity_at = fields.DatetimeField()

    class Meta:
        table = "patient"
        unique_together = (("practice", "patient_number"),)
        ordering = ["last_name", "first_name", "id"]
