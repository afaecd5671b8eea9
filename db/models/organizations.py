"""Organizations (clients of the system owner) and their practices."""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity


class Organization(Entity):
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=80, unique=True)
    address = fields.TextField(null=True)

    practices: fields.ReverseRelation["Practice"]

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a business name",
        "slug": "a business name, URL form",
        "address": "a business's postal address",
    }

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
    address = fields.TextField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a business name",
        "timezone": "IANA zone name",
        "jurisdiction": "a fixed code from a closed list, not free text",
        "address": "a business's postal address",
    }

    class Meta:
        table = "practice"
        ordering = ["name"]
