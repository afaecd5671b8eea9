"""Injectable treatments: the visit record, each injection point (product, batch, amount,
depth, technique and a site on a versioned face or body map), and complications.

A site is a named zone plus coordinates relative to the map image (0-1 each way), on a map
template named by key and version (``services/aesthetics/face_maps.py``), so a point drawn on
one screen lands on the same spot on any other.
"""

from typing import ClassVar

from tortoise import fields

from db.models.aesthetic_stock import Batch, Product
from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient
from db.models.scheduling import Practitioner


class InjectableTreatment(Entity):
    """One visit's injectable treatment of one patient by one practitioner."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    practitioner: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name=False, on_delete=fields.RESTRICT
    )
    practitioner_id: str
    appointment_id = fields.UUIDField(null=True)
    prescription_id = fields.UUIDField(null=True)
    consent_form_id = fields.UUIDField(null=True)
    treated_at = fields.DatetimeField()
    notes: str | None = fields.TextField(null=True)  # ciphertext
    recorded_by_user_id = fields.UUIDField(null=True)

    class Meta:
        table = "injectable_treatment"
        indexes = (("patient_id", "treated_at"), ("practice_id", "treated_at"))
        ordering = ["patient_id", "treated_at"]


class InjectionPoint(Entity):
    """One injection: what, from which batch, how much, how deep, and where on the map."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    treatment: fields.ForeignKeyRelation[InjectableTreatment] = fields.ForeignKeyField(
        "models.InjectableTreatment", related_name="points", on_delete=fields.RESTRICT
    )
    treatment_id: str
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "models.Product", related_name=False, on_delete=fields.RESTRICT
    )
    product_id: str
    batch: fields.ForeignKeyRelation[Batch] = fields.ForeignKeyField(
        "models.Batch", related_name=False, on_delete=fields.RESTRICT
    )
    batch_id: str
    amount_milli = fields.BigIntField()
    depth = fields.CharField(max_length=24)
    technique = fields.CharField(max_length=24)
    map_key = fields.CharField(max_length=32)
    map_version = fields.SmallIntField()
    zone = fields.CharField(max_length=48)
    x = fields.FloatField()
    y = fields.FloatField()
    position = fields.IntField(default=0)
    treated_at = fields.DatetimeField()  # the treatment's, copied so a recall reads one table

    plaintext_columns: ClassVar[dict[str, str]] = {
        "depth": "a fixed code from a closed list, not free text",
        "technique": "a fixed code from a closed list, not free text",
        "map_key": "a map template's key, the same for every patient",
        "zone": "a zone code of the map template, from a closed list",
    }

    class Meta:
        table = "injection_point"
        # The recall reads a batch's visits from this index alone (an index-only scan on
        # PostgreSQL): bench/batch_recall.py, 200,000 points.
        indexes = (
            ("batch_id", "practice_id", "patient_id", "treatment_id", "treated_at", "amount_milli"),
            ("treatment_id", "position"),
        )
        ordering = ["treatment_id", "position"]


class AdverseEvent(Entity):
    """A complication after a treatment, linked to the batch suspected (for Yellow Card)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    treatment: fields.ForeignKeyRelation[InjectableTreatment] = fields.ForeignKeyField(
        "models.InjectableTreatment", related_name=False, on_delete=fields.RESTRICT
    )
    treatment_id: str
    batch_id = fields.UUIDField(null=True)
    kind = fields.CharField(max_length=24)
    severity = fields.CharField(max_length=16)
    onset_at = fields.DatetimeField()
    description: str | None = fields.TextField(null=True)  # ciphertext (required when recorded)
    action_taken: str | None = fields.TextField(null=True)  # ciphertext
    yellow_card_reference = fields.CharField(max_length=32, null=True)
    resolved_at = fields.DatetimeField(null=True)
    recorded_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "severity": "a fixed code from a closed list, not free text",
        "yellow_card_reference": "the regulator's report reference, not readable health data",
    }

    class Meta:
        table = "aesthetic_adverse_event"
        indexes = (("treatment_id",), ("batch_id",))
        ordering = ["treatment_id", "onset_at"]
