"""People who sign in, and what they may act on (memberships carry the role)."""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Organization, Practice


class User(Entity):
    email = fields.CharField(max_length=254, unique=True)
    full_name = fields.CharField(max_length=200)
    password_hash = fields.CharField(max_length=255)
    is_active = fields.BooleanField(default=True)
    deleted_at = fields.DatetimeField(null=True)
    # Encrypted TOTP secret; the last accepted time step blocks replay of a code.
    mfa_secret = fields.TextField(null=True)
    mfa_enabled = fields.BooleanField(default=False)
    mfa_last_step = fields.BigIntField(default=0)
    # Bumped on logout-everywhere, role change or deletion: invalidates live access tokens.
    token_version = fields.IntField(default=0)
    failed_logins = fields.IntField(default=0)
    locked_until = fields.DatetimeField(null=True)
    last_login_at = fields.DatetimeField(null=True)
    # How this user reads tooth numbers: FDI, PALMER or UNIVERSAL (storage is always FDI).
    tooth_notation = fields.CharField(max_length=16, default="FDI")

    memberships: fields.ReverseRelation["Membership"]

    plaintext_columns: ClassVar[dict[str, str]] = {
        "email": (
            "login name of a staff or portal account; unique lookup at sign-in needs it in clear; "
            "a portal account's is replaced on erasure"
        ),
        "full_name": (
            "shown in the access log and on boards; a portal account's is replaced on erasure"
        ),
        "password_hash": "a one-way hash; reveals nothing (argon2id)",
        "tooth_notation": "a display preference from a closed list, not free text",
    }

    class Meta:
        table = "app_user"


class Membership(Entity):
    """A role held by a user within an organization or a practice (or system-wide)."""

    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="memberships", on_delete=fields.CASCADE
    )
    user_id: str
    organization: fields.ForeignKeyNullableRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="memberships", null=True, on_delete=fields.CASCADE
    )
    organization_id: str | None
    practice: fields.ForeignKeyNullableRelation[Practice] = fields.ForeignKeyField(
        "models.Practice", related_name="memberships", null=True, on_delete=fields.CASCADE
    )
    practice_id: str | None
    role = fields.CharField(max_length=32)
    # For the PATIENT role: the one record this portal account may read.
    patient_id = fields.UUIDField(null=True)
    # A student or trainee: their clinical notes count as signed only once a supervising
    # clinician co-signs them.
    trainee = fields.BooleanField(default=False)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "role": "a fixed code from a closed list, not free text",
    }

    class Meta:
        table = "membership"
        unique_together = (("user", "organization", "practice", "role"),)
