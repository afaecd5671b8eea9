"""The tooth chart and the practice's procedure catalogue.

Chart entries are append-only: a change of status (a planned filling done) is a new entry that
names the one it replaces, and a mistake is voided (ENTERED_IN_ERROR) by stamping the row once,
never by deleting or rewriting it. So the chart as it stood at any instant is a query over the
rows, and nothing a clinician saw is lost. Teeth are FDI numbers; surfaces a canonical string
(``services.clinical.teeth``). Notes and void reasons are free text and encrypted.
"""

from typing import ClassVar

from orjson import loads
from tortoise import fields
from tortoise.fields.data import JSON_DUMPS

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class ProcedureItem(Entity):
    """One procedure a practice offers, with its code, default fee and the teeth it takes."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    code = fields.CharField(max_length=32)
    name = fields.CharField(max_length=200)
    default_fee_pence = fields.IntField(default=0)
    nhs_band = fields.CharField(max_length=16, null=True)
    # NONE (whole mouth), TOOTH (one tooth, no surfaces) or SURFACES (a tooth and its surfaces).
    tooth_scope = fields.CharField(max_length=16)
    tooth_types: list[str] = fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)
    min_surfaces = fields.SmallIntField(default=0)
    max_surfaces = fields.SmallIntField(default=0)
    recall_effect = fields.CharField(max_length=16, default="NONE")
    archived = fields.BooleanField(default=False)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "code": "the practice's own procedure code, the same for every patient",
        "name": "a procedure name from the practice's price list, not patient data",
        "nhs_band": "a fixed code from a closed list, not free text",
        "tooth_scope": "a fixed code from a closed list, not free text",
        "tooth_types": "a list of fixed tooth type codes, not free text",
        "recall_effect": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "procedure_item"
        unique_together = (("practice", "code"),)
        ordering = ["practice_id", "code"]


class ChartEntry(Entity):
    """One condition or procedure on one tooth (or the whole mouth), as recorded at one time."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="chart_entries", on_delete=fields.RESTRICT
    )
    patient_id: str
    kind = fields.CharField(max_length=16)  # CONDITION or PROCEDURE
    code = fields.CharField(max_length=32)
    procedure: fields.ForeignKeyNullableRelation[ProcedureItem] = fields.ForeignKeyField(
        "models.ProcedureItem", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    procedure_id: str | None
    tooth = fields.SmallIntField(null=True)  # FDI; null for a whole-mouth procedure
    surfaces = fields.CharField(max_length=8, default="")
    status = fields.CharField(max_length=16)
    notes: str | None = fields.TextField(null=True)  # ciphertext
    recorded_at = fields.DatetimeField()
    recorded_by_user_id = fields.UUIDField(null=True)
    # The entry this one takes the place of (a status change), from ``recorded_at`` on.
    replaces_id = fields.UUIDField(null=True)
    voided_at = fields.DatetimeField(null=True)
    voided_by_user_id = fields.UUIDField(null=True)
    void_reason: str | None = fields.TextField(null=True)  # ciphertext

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "code": "a condition code from a closed list or a catalogue procedure code",
        "surfaces": "tooth surface letters from a closed set (M, O, I, D, B, F, L, P)",
        "status": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "chart_entry"
        indexes = (("patient_id", "recorded_at"),)
        ordering = ["patient_id", "recorded_at"]
