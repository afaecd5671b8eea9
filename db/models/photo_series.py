"""Before/after photo series: clinical photos (documents) grouped per treatment area, each with
its stage and a standard angle, and whether the practice marked it for marketing use (shown only
while the patient's PHOTOS_IN_MARKETING consent stands)."""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.documents import Document
from db.models.organizations import Practice
from db.models.patients import Patient


class PhotoSeries(Entity):
    """Photos of one treatment area of one patient over time."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    area = fields.CharField(max_length=32)  # a closed list: FOREHEAD, GLABELLA, LIPS, ...
    treatment_id = fields.UUIDField(null=True)
    created_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "area": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "photo_series"
        indexes = (("patient_id", "created_at"),)
        ordering = ["patient_id", "created_at"]


class PhotoSeriesItem(Entity):
    """One photo of a series."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.RESTRICT
    )
    patient_id: str
    series: fields.ForeignKeyRelation[PhotoSeries] = fields.ForeignKeyField(
        "models.PhotoSeries", related_name="items", on_delete=fields.RESTRICT
    )
    series_id: str
    document: fields.ForeignKeyRelation[Document] = fields.ForeignKeyField(
        "models.Document", related_name=False, on_delete=fields.RESTRICT
    )
    document_id: str
    stage = fields.CharField(max_length=16)  # BEFORE, AFTER, FOLLOW_UP
    angle = fields.CharField(max_length=16)  # FRONT, LEFT_45, RIGHT_45, LEFT_90, RIGHT_90, ...
    taken_at = fields.DatetimeField()
    marketing_marked_at = fields.DatetimeField(null=True)
    marketing_marked_by_user_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "stage": "a fixed code from a closed list, not free text",
        "angle": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "photo_series_item"
        unique_together = (("series_id", "document_id"),)
        indexes = (("practice_id", "marketing_marked_at"),)
        ordering = ["series_id", "taken_at"]
