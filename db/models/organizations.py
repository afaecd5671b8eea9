"""Organizations (clients of the system owner) and their practices."""

from tortoise import fields

from db.models.base import Entity


class Organization(Entity):
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=80, unique=True)

    practices: fields.ReverseRelation["Practice"]

    class Meta:
        table = "organization"


class Practice(Entity):
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="practices", on_delete=fields.RESTRICT
    )
    organization_id: str
    name = fields.CharField(max_length=200)
    timezone = fields.CharField(max_length=64, default="Europe/London")
    # Drives retention rules (England/Wales vs Scotland differ for clinical records).
    jurisdiction = fields.CharField(max_length=32, default="ENGLAND")

    class Meta:
        table = "practice"
        ordering = ["name"]
