"""Secrets that back sign-in: refresh tokens, MFA recovery codes, throttles, partner clients.

Every secret is stored as a hash; a database dump hands an attacker nothing to replay.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity
from db.models.organizations import Organization
from db.models.users import User


class RefreshToken(Entity):
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="refresh_tokens", on_delete=fields.CASCADE
    )
    user_id: str
    # Rotation keeps the family; reuse of a spent member revokes the whole family.
    family_id = fields.UUIDField(db_index=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()
    last_used_at = fields.DatetimeField()
    spent_at = fields.DatetimeField(null=True)
    revoked_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "token_hash": "a one-way hash; reveals nothing",
    }

    class Meta:
        table = "refresh_token"


class RecoveryCode(Entity):
    user: fields.ForeignKeyRelation[User] = fields.ForeignKeyField(
        "models.User", related_name="recovery_codes", on_delete=fields.CASCADE
    )
    user_id: str
    code_hash = fields.CharField(max_length=64)
    used_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "code_hash": "a one-way hash; reveals nothing",
    }

    class Meta:
        table = "mfa_recovery_code"


class LoginThrottle(Entity):
    """Failure counter per account (``user:<id>``) or client address (``ip:<addr>``)."""

    key = fields.CharField(max_length=160, unique=True)
    failures = fields.IntField(default=0)
    window_started_at = fields.DatetimeField()
    locked_until = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "key": (
            "'user:<id>' or 'ip:<address>' throttle key, deleted after the lock window; "
            "'reset-address:<HMAC of an email>' or 'reset-ip:<address>' for reset requests"
        ),
    }

    class Meta:
        table = "login_throttle"


class PartnerClient(Entity):
    organization: fields.ForeignKeyRelation[Organization] = fields.ForeignKeyField(
        "models.Organization", related_name="partner_clients", on_delete=fields.CASCADE
    )
    organization_id: str
    name = fields.CharField(max_length=200)
    client_id = fields.CharField(max_length=64, unique=True)
    secret_hash = fields.CharField(max_length=255)
    scopes: list[str] = fields.JSONField(default=list)
    practice_ids: list[str] = fields.JSONField(default=list)
    is_active = fields.BooleanField(default=True)
    # After a rotation the previous secret keeps working until this moment (a grace period for
    # the partner to deploy the new one); both are one-way hashes.
    previous_secret_hash = fields.CharField(max_length=255, null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)
    # Deleted by an admin: never authenticates again, hidden from the admin API; the row stays
    # so audit rows, appointments and consents naming its client id still resolve.
    deleted_at = fields.DatetimeField(null=True)
    # Carried by every token as ``ver``; suspending or deleting bumps it, so tokens issued
    # before stay dead even after a resume (as a user's ``token_version`` does for sign-outs).
    token_version = fields.IntField(default=0)
    # Runs only documents registered for it (``db.models.trusted_documents``), never ad-hoc ones.
    trusted_documents_only = fields.BooleanField(default=False)
    # Bumped when a trusted document is removed: servers key their cached documents by it, and
    # every partner request re-reads this row, so a removal bites on every process at once.
    documents_version = fields.IntField(default=0)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "name": "a partner company's app name, not personal data",
        "client_id": "public OAuth client id",
        "secret_hash": "a one-way hash; reveals nothing",
        "previous_secret_hash": "a one-way hash; reveals nothing",
        "scopes": "scope codes",
        "practice_ids": "practice ids the client may reach",
    }

    class Meta:
        table = "partner_client"


class RevokedToken(Entity):
    """Access-token ids revoked before expiry (RFC 7009), pruned once they would have expired."""

    jti = fields.CharField(max_length=64, unique=True)
    expires_at = fields.DatetimeField()

    plaintext_columns: ClassVar[dict[str, str]] = {
        "jti": "random token id",
    }

    class Meta:
        table = "revoked_token"
