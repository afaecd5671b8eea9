"""The diary's resources: practitioners, rooms, appointment types, extra resources and the
practice's scheduling settings."""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.users import User

# The appointment-type editor refuses more (services.scheduling.resources); schedule blocks,
# an appointment plus its buffer, rely on it (db.models.appointments.LONGEST_BLOCK).
LONGEST_BUFFER_MINUTES = 120


class ScheduleSettings(Entity):
    """Per-practice rules. The row is also the practice's booking lock on SQLite."""

    practice: fields.OneToOneRelation[Practice] = fields.OneToOneField(
        "models.Practice", related_name=False, on_delete=fields.CASCADE
    )
    practice_id: str
    late_cancel_hours = fields.IntField(default=24)
    allow_past_booking = fields.BooleanField(default=False)
    hold_minutes = fields.IntField(default=5)
    slot_step_minutes = fields.IntField(default=15)
    exam_recall_months = fields.IntField(default=6)
    hygiene_recall_months = fields.IntField(default=6)
    version = fields.BigIntField(default=0)

    class Meta:
        table = "schedule_settings"


class Room(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=80)
    colour = fields.CharField(max_length=9, default="#9e9e9e")
    active = fields.BooleanField(default=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a room name",
        "colour": "CSS colour",
    }

    class Meta:
        table = "room"
        unique_together = (("practice", "name"),)
        ordering = ["name", "id"]


class Practitioner(Entity):
    """A staff member's clinical profile in one practice (a user may work in several)."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.RESTRICT
    )
    user_id: str
    display_name = fields.CharField(max_length=200)
    role = fields.CharField(max_length=32)
    colour = fields.CharField(max_length=9, default="#1976d2")
    default_room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    default_room_id: str | None
    active = fields.BooleanField(default=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "display_name": "a staff member's name shown on boards (staff, not patients)",
        "role": "a fixed code from a closed list, not free text",
        "colour": "CSS colour",
    }

    class Meta:
        table = "practitioner"
        unique_together = (("practice", "user"),)
        ordering = ["display_name", "id"]


class AppointmentType(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=120)
    duration_minutes = fields.IntField()
    buffer_after_minutes = fields.IntField(default=0)  # at most LONGEST_BUFFER_MINUTES
    colour = fields.CharField(max_length=9, default="#43a047")
    # Practitioner roles that may perform it (DENTIST, HYGIENIST, ...), empty for any.
    allowed_roles: list[str] = fields.JSONField(default=list)
    # Botulinum toxin and dermal fillers: no booking for under-18s in England.
    restricted_procedure = fields.BooleanField(default=False)
    recall_kind = fields.CharField(max_length=16, null=True)
    active = fields.BooleanField(default=True)
    # Patients may book it themselves in the portal (off unless the practice offers it).
    online_bookable = fields.BooleanField(default=False)
    # Aesthetic treatments: which kind it is (TOXIN, FILLER, ...; null for dental work), the
    # minimum hours between the patient's signed consultation consent and the treatment, and
    # whether the practitioner must hold an unexpired professional registration on the day.
    aesthetic_kind = fields.CharField(max_length=16, null=True)
    cooling_off_hours = fields.IntField(null=True)
    requires_registration = fields.BooleanField(default=False)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a service name",
        "aesthetic_kind": "a fixed code from a closed list, not free text",
        "colour": "CSS colour",
        "allowed_roles": "role codes",
        "recall_kind": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "appointment_type"
        unique_together = (("practice", "name"),)
        ordering = ["name", "id"]


class ExtraResource(Entity):
    """A dental nurse or a piece of equipment booked alongside an appointment."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    name = fields.CharField(max_length=120)
    kind = fields.CharField(max_length=16)
    active = fields.BooleanField(default=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "equipment name",
        "kind": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "extra_resource"
        unique_together = (("practice", "name"),)
        ordering = ["name", "id"]
