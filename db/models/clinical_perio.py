"""Periodontal exams, BPE screenings and the follow-ups a BPE raises.

A full-mouth perio exam is 32 teeth x 6 sites of small numbers. It is stored as one row per exam
with the readings in one compact JSON column (``services.clinical.perio`` owns its shape), so
recording a whole exam is one INSERT and reading it back one SELECT, not 192 rows. Clinical
attachment level is derived from depth and margin when shown, never stored, so it can never
disagree with them.
"""

from typing import Any, ClassVar

from orjson import loads
from tortoise import fields
from tortoise.fields.data import JSON_DUMPS

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient


class PerioExam(Entity):
    """One periodontal chart of a patient: DRAFT while being charted, FINAL once signed off."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="perio_exams", on_delete=fields.RESTRICT
    )
    patient_id: str
    status = fields.CharField(max_length=8)  # DRAFT or FINAL
    examined_at = fields.DatetimeField()
    recorded_by_user_id = fields.UUIDField(null=True)
    copied_from_id = fields.UUIDField(null=True)
    # {"16": {"pd": [6], "gm": [6], "b": bits, "s": bits, "p": bits, "m": 0-3|null,
    #         "f": {"B": 0-3, ...}}, ...} keyed by FDI tooth number.
    readings: dict[str, Any] = fields.JSONField(default=dict, encoder=JSON_DUMPS, decoder=loads)
    updated_at = fields.DatetimeField(auto_now=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "status": "a fixed code from a closed list, not free text",
        "readings": "small integers and flags from closed ranges keyed by tooth number and site "
        "code; no free text or contact data",
    }

    class Meta:
        table = "perio_exam"
        indexes = (("patient_id", "examined_at"),)
        ordering = ["patient_id", "examined_at"]


class BpeRecord(Entity):
    """One Basic Periodontal Examination: a code per sextant, as the BSP guidance records it."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="bpe_records", on_delete=fields.RESTRICT
    )
    patient_id: str
    examined_at = fields.DatetimeField()
    recorded_by_user_id = fields.UUIDField(null=True)
    # Six codes in sextant order (17-14, 13-23, 24-27, 47-44, 43-33, 34-37): "0".."4" or "X",
    # with "*" added for furcation.
    codes: list[str] = fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)
    highest = fields.SmallIntField(null=True)  # the highest numeric code, null if all X

    plaintext_columns: ClassVar[dict[str, str]] = {
        "codes": "BPE codes from a closed set (0-4, X, *), not free text",
    }

    class Meta:
        table = "bpe_record"
        indexes = (("patient_id", "examined_at"),)
        ordering = ["patient_id", "examined_at"]


class PerioFollowUp(Entity):
    """The follow-up a BPE of 3 or 4 asks for (a six-point chart of those sextants or of the
    whole mouth), kept as a task naming the BPE that raised it until an exam covers it."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    bpe: fields.ForeignKeyRelation[BpeRecord] = fields.ForeignKeyField(
        "models.BpeRecord", related_name=False, on_delete=fields.RESTRICT
    )
    bpe_id: str
    scope = fields.CharField(max_length=16)  # SEXTANTS or FULL_MOUTH
    sextants: list[int] = fields.JSONField(default=list, encoder=JSON_DUMPS, decoder=loads)
    due_on = fields.DateField()
    done_at = fields.DatetimeField(null=True)
    done_by_exam_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "scope": "a fixed code from a closed list, not free text",
        "sextants": "sextant numbers 1-6, not free text",
    }

    class Meta:
        table = "perio_follow_up"
        indexes = (("patient_id", "due_on"),)
