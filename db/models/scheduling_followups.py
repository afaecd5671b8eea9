"""After the visit: recalls (when the patient is next due) and the waitlist for earlier slots."""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.patients import Patient
from db.models.scheduling import AppointmentType, Practitioner


class Recall(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.CASCADE
    )
    patient_id: str
    kind = fields.CharField(max_length=16)  # EXAM, HYGIENE
    interval_months = fields.IntField()
    due_on = fields.DateField()
    last_completed_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "recall"
        unique_together = (("patient", "kind"),)
        indexes = (("practice_id", "due_on"),)


class RecallMet(Entity):
    """A due date a recall had when a visit (or a treatment with that recall effect) met it.

    ``Recall`` holds only the next due date, which moves on when the patient comes; this keeps
    the ones met, so the recalls report can say how many were due in a past month, how many
    were met and how many were overdue at its end (written in the unit of work that moves the
    recall on, ``services.scheduling.recalls.after_treatment``)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.CASCADE
    )
    patient_id: str
    kind = fields.CharField(max_length=16)  # EXAM, HYGIENE
    due_on = fields.DateField()
    met_at = fields.DatetimeField()
    # The completed visit that met it; null when a treatment plan item did.
    appointment_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "recall_met"
        indexes = (("practice_id", "due_on"),)


class WaitlistEntry(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    patient: fields.ForeignKeyRelation[Patient] = fields.ForeignKeyField(
        "models.Patient", related_name=False, on_delete=fields.CASCADE
    )
    patient_id: str
    appointment_type: fields.ForeignKeyRelation[AppointmentType] = fields.ForeignKeyField(
        "models.AppointmentType", related_name=False, on_delete=fields.CASCADE
    )
    appointment_type_id: str
    practitioner: fields.ForeignKeyNullableRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    practitioner_id: str | None
    # Monday is 0, empty for any day.
    weekdays: list[int] = fields.JSONField(default=list)
    earliest_minute = fields.IntField(default=0)
    latest_minute = fields.IntField(default=1440)
    active = fields.BooleanField(default=True)
    last_offered_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "weekdays": "weekday numbers",
    }

    class Meta:
        table = "waitlist_entry"
        indexes = (("practice_id", "active"),)
