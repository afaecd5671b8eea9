"""Signing in, refreshing, signing out, and authenticating a bearer token.

Access tokens are short-lived JWTs; refresh tokens are opaque, stored hashed, rotated on every
use, and grouped in families: presenting a spent one revokes the whole family (token theft).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import RefreshToken, User
from db.queries import memberships, users
from db.queries import sessions as session_rows
from db.uow import write_transaction
from services import audit, runtime
from services.auth import mfa, portal_age, throttle, tokens
from services.auth.passwords import verify_password
from services.auth.principal_loader import principal_for_access, principal_for_partner
from services.errors import MfaRequired, PolicyDenied, Unauthenticated
from services.policy import Role, requires_mfa
from services.principal import Principal, RequestMeta

BAD_CREDENTIALS = "Invalid email or password."


@dataclass(frozen=True, slots=True)
class Session:
    access_token: str
    refresh_token: str
    expires_at: datetime
    mfa_enrolment_required: bool


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_session(user: User, *, mfa_passed: bool, family: UUID | None = None) -> Session:
    roles = {Role(role) for role in await memberships.roles_of(user.id)}
    enrolment = requires_mfa(roles) and not mfa_passed
    config = runtime.config()
    family = family or uuid4()
    access, _, exp = tokens.issue(
        {
            "sub": str(user.id),
            "typ": "access",
            "ver": user.token_version,
            "mfa": mfa_passed,
            "sid": str(family),
        },
        config.access_ttl,
    )
    refresh = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    await RefreshToken.create(
        user_id=user.id,
        family_id=family,
        token_hash=_hash(refresh),
        expires_at=now + config.refresh_ttl,
        last_used_at=now,
    )
    return Session(access, refresh, datetime.fromtimestamp(exp, UTC), enrolment)


async def login(*, email: str, password: str, otp: str | None, meta: RequestMeta) -> Session:
    email = email.strip().casefold()
    ip_key = f"ip:{meta.ip or 'unknown'}"
    user = await users.by_email(email)
    account_key = f"user:{user.id if user else email}"
    await throttle.ensure_not_locked(account_key, ip_key)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        await throttle.record_failure(account_key, ip_key)
        await _audit_login(user, meta, "DENIED")
        raise Unauthenticated(BAD_CREDENTIALS)
    mfa_passed = False
    if user.mfa_enabled:
        if not otp:
            raise MfaRequired("Enter the code from your authenticator app.")
        if not await mfa.verify_second_factor(user, otp):
            await throttle.record_failure(account_key, ip_key)
            await _audit_login(user, meta, "DENIED")
            raise Unauthenticated("That code is not valid.")
        mfa_passed = True
    await throttle.clear(account_key)
    if not await portal_age.allow_sign_in(user, meta):
        await _audit_login(user, meta, "DENIED")
        raise PolicyDenied(
            "Portal accounts are for patients aged 16 or over; access goes through a guardian."
        )
    user.last_login_at = datetime.now(UTC)
    await user.save(update_fields=["last_login_at"])
    await _audit_login(user, meta, "OK")
    return await issue_session(user, mfa_passed=mfa_passed)


async def _audit_login(user: User | None, meta: RequestMeta, outcome: str) -> None:
    principal = Principal(user_id=user.id if user else None, meta=meta)
    await audit.write([audit.record_for(principal, action="LOGIN", outcome=outcome)])


async def refresh(*, refresh_token: str) -> Session:
    now = datetime.now(UTC)
    async with write_transaction() as connection:
        row = await session_rows.for_rotation(_hash(refresh_token), connection)
        if row is None:
            raise Unauthenticated("Invalid refresh token.")
        if row.spent_at is not None or row.revoked_at is not None:
            # A spent token came back: someone holds a stolen copy. End the whole family.
            await session_rows.revoke_family(row.family_id, now, connection)
            reused = True
        else:
            reused = False
            idle = now - row.last_used_at > runtime.config().idle_timeout
            if row.expires_at <= now or idle:
                raise Unauthenticated("Session expired. Sign in again.")
            row.spent_at = now
            await row.save(using_db=connection, update_fields=["spent_at"])
    if reused:
        raise Unauthenticated("Invalid refresh token.")
    user = await users.live(row.user_id)
    if user is None:
        raise Unauthenticated("Invalid refresh token.")
    # A family only exists past the second factor when MFA is on, so it carries over.
    return await issue_session(user, mfa_passed=user.mfa_enabled, family=row.family_id)


async def logout(principal: Principal, *, everywhere: bool = False) -> None:
    """Revokes this session's refresh family (or all of the user's sessions)."""
    if principal.user_id is None:
        raise Unauthenticated("Sign in first.")
    now = datetime.now(UTC)
    family = None if everywhere else principal.session_id
    await session_rows.revoke_of_user(principal.user_id, now, family_id=family)
    # Bumping the version kills every live access token of the user at once.
    user = await users.get(principal.user_id)
    user.token_version += 1
    await user.save(update_fields=["token_version"])


async def authenticate_token(token: str | None, meta: RequestMeta) -> Principal:
    if token is None:
        return Principal(meta=meta)
    claims = tokens.verify(token)
    if claims.get("typ") == "partner":
        return await principal_for_partner(claims, meta)
    if claims.get("typ") != "access":
        raise Unauthenticated("Invalid or expired token.")
    return await principal_for_access(claims, meta)


async def dev_token(email: str) -> str:
    """A ready access token for a demo account (the CLI refuses this in production)."""
    user = await users.by_email(email.strip().casefold())
    if user is None:
        raise Unauthenticated("No such user.")
    return (await issue_session(user, mfa_passed=True)).access_token
