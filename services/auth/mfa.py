"""TOTP second factor (RFC 6238) with replay protection, and single-use recovery codes."""

from __future__ import annotations

import hashlib
import secrets
import time
from datetime import UTC, datetime

import pyotp
from tortoise.transactions import in_transaction

from db.crypto import FieldContext
from db.models import RecoveryCode, User
from db.queries import recovery_codes, users
from services import runtime
from services.errors import Conflict, ValidationFailed

ISSUER_NAME = "AES CRM"
RECOVERY_CODES = 10
STEP = 30


def _secret_context(user: User) -> FieldContext:
    return FieldContext(tenant="user", table="app_user", column="mfa_secret", row_id=str(user.id))


def _hash_code(code: str) -> str:
    return hashlib.sha256(code.strip().lower().replace("-", "").encode()).hexdigest()


async def begin_enrolment(user: User) -> str:
    """Stores a fresh secret (not yet active) and returns the otpauth:// URI for the app."""
    if user.mfa_enabled:
        raise Conflict("Multi-factor authentication is already enabled.")
    secret = pyotp.random_base32()
    user.mfa_secret = runtime.keyring().encrypt(secret, _secret_context(user))
    await user.save(update_fields=["mfa_secret"])
    return str(pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER_NAME))


def _matching_step(secret: str, code: str, now: float) -> int | None:
    totp = pyotp.TOTP(secret)
    current = int(now // STEP)
    for step in (current - 1, current, current + 1):  # one step of clock drift either way
        if secrets.compare_digest(totp.at(step * STEP), code):
            return step
    return None


async def verify_totp(user: User, code: str) -> bool:
    """Accepts a code once: a step at or before the last accepted one is a replay."""
    if not user.mfa_secret or not code.isdigit() or len(code) != 6:
        return False
    secret = runtime.keyring().decrypt(user.mfa_secret, _secret_context(user))
    step = _matching_step(secret, code, time.time())
    if step is None:
        return False
    async with in_transaction() as connection:
        updated = await users.advance_mfa_step(user.id, step, connection)
    if updated:
        user.mfa_last_step = step
    return bool(updated)


async def confirm_enrolment(user: User, code: str) -> list[str]:
    """Activates MFA after a first good code and returns fresh recovery codes (shown once)."""
    if user.mfa_enabled:
        raise Conflict("Multi-factor authentication is already enabled.")
    if not user.mfa_secret:
        raise ValidationFailed("Start enrolment first.", field="code")
    if not await verify_totp(user, code):
        raise ValidationFailed("That code is not valid.", field="code")
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    async with in_transaction() as connection:
        await recovery_codes.discard_all(user.id, connection)
        await RecoveryCode.bulk_create(
            [RecoveryCode(user_id=user.id, code_hash=_hash_code(c)) for c in codes],
            using_db=connection,
        )
        user.mfa_enabled = True
        await user.save(using_db=connection, update_fields=["mfa_enabled"])
    return codes


async def use_recovery_code(user: User, code: str) -> bool:
    updated = await recovery_codes.spend(user.id, _hash_code(code), datetime.now(UTC))
    return bool(updated)


async def verify_second_factor(user: User, code: str) -> bool:
    code = code.strip()
    if code.isdigit():
        return await verify_totp(user, code)
    return await use_recovery_code(user, code)


def current_code(secret: str) -> str:
    """For tests and the dev tooling only: the code an authenticator would show now."""
    return str(pyotp.TOTP(secret).now())
