"""Treatment plans: one row per version of a plan, and the items (procedures) of that version.

A plan's versions share ``plan_id`` (the first version's id). An accepted version is never
edited again: a change proposes a new version and marks the old one SUPERSEDED, so the version
the patient signed, with its frozen snapshot and hash, stays readable. Fees are integer pence.
The signer's typed name and the snapshot are patient data and encrypted.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.clinical_chart import ProcedureItem
from db.models.organizations import Practice
from db.models.patients import Patient


class TreatmentPlan(Entity):
    """One version of a patient's treatment plan."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    plan_id = fields.UUIDField()  # the same for every version of one plan
    version = fields.IntField(default=1)
    status = fields.CharField(max_length=16)
    created_by_user_id = fields.UUIDField(null=True)
    accepted_at = fields.DatetimeField(null=True)
    signed_name: str | None = fields.TextField(null=True)  # ciphertext
    signature_document_id = fields.UUIDField(null=True)
    witness_user_id = fields.UUIDField(null=True)
    consent_record_id = fields.UUIDField(null=True)
    snapshot: str | None = fields.TextField(null=True)  # ciphertext (JSON of the signed plan)
    snapshot_sha256 = fields.CharField(max_length=64, null=True)
    declined_at = fields.DatetimeField(null=True)
    completed_at = fields.DatetimeField(null=True)
    superseded_at = fields.DatetimeField(null=True)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
        "snapshot_sha256": "a hash of the encrypted snapshot, not readable data",
    }

    class Meta:
        table = "treatment_plan"
        unique_together = (("plan_id", "version"),)
        indexes = (("patient_id", "created_at"), ("practice_id", "created_at"))  # reports: proposed
        ordering = ["patient_id", "created_at"]


class TreatmentPlanItem(Entity):
    """One planned procedure of one plan version, in a phase."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    plan_version: fields.ForeignKeyRelation[TreatmentPlan] = fields.ForeignKeyField(
        "models.TreatmentPlan", related_name="items", on_delete=fields.RESTRICT
    )
    plan_version_id: str
    phase = fields.SmallIntField(default=1)
    position = fields.IntField(default=0)
    procedure: fields.ForeignKeyRelation[ProcedureItem] = fields.ForeignKeyField(
        "models.ProcedureItem", related_name=False, on_delete=fields.RESTRICT
    )
    procedure_id: str
    code = fields.CharField(max_length=32)
    tooth = fields.SmallIntField(null=True)  # FDI
    surfaces = fields.CharField(max_length=8, default="")
    fee_pence = fields.IntField()
    nhs_band = fields.CharField(max_length=16, null=True)
    completed_at = fields.DatetimeField(null=True)
    completed_by_user_id = fields.UUIDField(null=True)
    chart_entry_id = fields.UUIDField(null=True)  # the COMPLETED chart entry it recorded
    invoiced_at = fields.DatetimeField(null=True)  # set by billing, later

    plaintext_columns: ClassVar[dict[str, str]] = {
        "code": "a catalogue procedure code, the same for every patient",
        "surfaces": "tooth surface letters from a closed set (M, O, I, D, B, F, L, P)",
        "nhs_band": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "treatment_plan_item"
        indexes = (("plan_version_id", "phase", "position"), ("practice_id", "completed_at"))
        ordering = ["plan_version_id", "phase", "position"]
