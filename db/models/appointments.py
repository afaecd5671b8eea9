"""Diary entries: who sees whom, when, in which practice."""

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient
from db.models.users import User


class Appointment(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name="appointments", on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name="appointments", on_delete=fields.RESTRICT
    )
    patient_id: str
    practitioner: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="appointments", on_delete=fields.RESTRICT
    )
    practitioner_id: str
    kind = fields.CharField(max_length=60)
    starts_at = fields.DatetimeField(db_index=True)
    ends_at = fields.DatetimeField()
    status = fields.CharField(max_length=20, default="BOOKED")

    class Meta:
        table = "appointment"
        ordering = ["starts_at", "id"]
