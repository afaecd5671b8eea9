"""Secrets handed out by link: calendar feed URLs and single-use account tokens.

Both are random tokens shown once; only a keyed hash is stored, so a database dump cannot be
turned back into a working link.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Practice
from db.models.users import User


class CalendarFeed(Entity):
    """A subscribed iCalendar URL: one practitioner's diary or one portal account's bookings."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: str
    practice: fields.ForeignKeyRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name=False, on_delete=fields.CASCADE
    )
    practice_id: str
    kind = fields.CharField(max_length=16)  # PRACTITIONER or PATIENT
    practitioner_id = fields.UUIDField(null=True)
    patient_id = fields.UUIDField(null=True)
    secret_hash = fields.CharField(max_length=64)
    revoked_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from a closed list, not free text",
        "secret_hash": "an HMAC of a random token; reveals nothing",
    }

    class Meta:
        table = "calendar_feed"


class AccountToken(Entity):
    """Invitation, password reset or email change: single use, expiring."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name=False, on_delete=fields.CASCADE
    )
    user_id: str
    purpose = fields.CharField(max_length=16)  # INVITATION, PASSWORD_RESET, EMAIL_CHANGE
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    used_at = fields.DatetimeField(null=True)
    new_email = fields.CharField(max_length=254, null=True)
    created_by_id = fields.UUIDField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "purpose": "a fixed code from a closed list, not free text",
        "token_hash": "an HMAC of a random token; reveals nothing",
        "new_email": "a staff member's requested new login name, as app_user.email",
    }

    class Meta:
        table = "account_token"
