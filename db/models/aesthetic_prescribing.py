"""Practitioners' professional registrations, prescribers' face-to-face consultations, and the
prescriptions under which a prescription-only product (botulinum toxin) may be administered."""

from typing import ClassVar

from tortoise import fields

from db.models.aesthetic_stock import Product
from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient
from db.models.scheduling import Practitioner


class ProfessionalRegistration(Entity):
    """A practitioner's registration with a regulator (GMC, NMC, GDC, GPhC), and whether it
    carries prescribing rights."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    practitioner: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name=False, on_delete=fields.RESTRICT
    )
    practitioner_id: str
    body = fields.CharField(max_length=8)  # GMC, NMC, GDC, GPHC
    number = fields.CharField(max_length=32)
    expires_on = fields.DateField()
    prescriber = fields.BooleanField(default=False)
    recorded_by_user_id = fields.UUIDField(null=True)
    revoked_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "body": "a fixed code from a closed list, not free text",
        "number": "a public register number, published by the regulator",
    }

    class Meta:
        table = "professional_registration"
        unique_together = (("practitioner_id", "body"),)
        ordering = ["practitioner_id", "body"]


class AestheticConsultation(Entity):
    """A prescriber's consultation with a patient (face to face, or not: only a face-to-face one
    supports a prescription)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    prescriber: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name=False, on_delete=fields.RESTRICT
    )
    prescriber_id: str
    appointment_id = fields.UUIDField(null=True)
    held_at = fields.DatetimeField()
    face_to_face = fields.BooleanField(default=True)
    notes: str | None = fields.TextField(null=True)  # ciphertext
    recorded_by_user_id = fields.UUIDField(null=True)

    class Meta:
        table = "aesthetic_consultation"
        indexes = (("patient_id", "held_at"),)
        ordering = ["patient_id", "held_at"]


class Prescription(Entity):
    """A prescriber's instruction naming the patient, the product and a dose range."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    prescriber: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name=False, on_delete=fields.RESTRICT
    )
    prescriber_id: str
    consultation: fields.ForeignKeyRelation[AestheticConsultation] = fields.ForeignKeyField(
        "models.AestheticConsultation", related_name=False, on_delete=fields.RESTRICT
    )
    consultation_id: str
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name=False, on_delete=fields.RESTRICT
    )
    product_id: str
    dose_min_milli = fields.BigIntField()
    dose_max_milli = fields.BigIntField()
    directions: str | None = fields.TextField(null=True)  # ciphertext
    issued_at = fields.DatetimeField()
    valid_until = fields.DatetimeField()
    cancelled_at = fields.DatetimeField(null=True)
    cancelled_by_user_id = fields.UUIDField(null=True)

    class Meta:
        table = "aesthetic_prescription"
        indexes = (("patient_id", "product_id", "issued_at"),)
        ordering = ["patient_id", "issued_at"]
