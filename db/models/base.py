"""Shared column conventions: UUID primary keys (never sequential ids) and timestamps."""

from uuid import uuid4

from tortoise import fields
from tortoise.models import Model


class Entity(Model):
    id = fields.UUIDField(primary_key=True, default=uuid4)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        abstract = True
