"""Endpoint signing secrets: ``whsec_`` + base64 of 24 random bytes (Standard Webhooks).

Shown to the admin once (registration, rotation); stored encrypted with the field key ring,
bound to the endpoint's organisation, table, column and row, so a ciphertext copied to another
endpoint does not decrypt. Key rotation re-encrypts them (``services.patients.key_rotation``).
"""

from __future__ import annotations

import base64
import secrets
from typing import Any

from db.crypto import FieldContext
from services import runtime

PREFIX = "whsec_"
TABLE = "partner_webhook_endpoint"


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(24)).decode("ascii")


def context(row: Any, column: str = "secret") -> FieldContext:
    return FieldContext(str(row.organization_id), TABLE, column, str(row.id))


def seal(row: Any, secret: str) -> str:
    return runtime.keyring().encrypt(secret, context(row))


def opened(row: Any) -> str:
    return runtime.keyring().decrypt(str(row.secret), context(row))


__all__ = ["PREFIX", "context", "new_secret", "opened", "seal"]
