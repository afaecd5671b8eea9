"""When people work: weekly session patterns, absences, opening hours and closures.

Weekly patterns are local wall-clock minutes in the practice's zone, so a 09:00 session stays
09:00 across a DST change. Absences and closures are absolute instants (UTC).
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.scheduling import Practitioner, Room


class WorkingSession(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    practitioner: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name="sessions", on_delete=fields.CASCADE
    )
    practitioner_id: str
    room: fields.ForeignKeyNullableRelation[Room] = fields.ForeignKeyField(
        "models.Room", related_name=False, null=True, on_delete=fields.SET_NULL
    )
    room_id: str | None
    weekday = fields.SmallIntField()  # Monday is 0
    start_minute = fields.IntField()
    end_minute = fields.IntField()
    valid_from = fields.DateField()
    valid_until = fields.DateField(null=True)

    class Meta:
        table = "working_session"
        indexes = (("practitioner_id", "weekday"),)


class Absence(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.RESTRICT
    )
    practice_id: str
    practitioner: fields.ForeignKeyRelation[Practitioner] = fields.ForeignKeyField(
        "models.Practitioner", related_name="absences", on_delete=fields.CASCADE
    )
    practitioner_id: str
    kind = fields.CharField(max_length=16)  # HOLIDAY, TRAINING, SICKNESS, OTHER
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "absence"
        indexes = (("practitioner_id", "starts_at"),)


class OpeningHours(Entity):
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.CASCADE
    )
    practice_id: str
    weekday = fields.SmallIntField()
    open_minute = fields.IntField()
    close_minute = fields.IntField()

    class Meta:
        table = "opening_hours"
        unique_together = (("practice", "weekday"),)


class Closure(Entity):
    """Bank holidays, refurbishment: the whole practice is shut."""

    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.CASCADE
    )
    practice_id: str
    starts_at = fields.DatetimeField()
    ends_at = fields.DatetimeField()
    reason = fields.CharField(max_length=200)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "reason": "why the practice is closed (bank holiday, training)",
    }

    class Meta:
        table = "closure"
        indexes = (("practice_id", "starts_at"),)
