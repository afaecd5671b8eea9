"""Enrolling the second factor: the only thing a user who still owes MFA may do."""

from __future__ import annotations

from dataclasses import dataclass

from db.models import User
from db.queries import users
from services import audit
from services.auth import mfa
from services.auth.sessions import Session, issue_session
from services.errors import Unauthenticated
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Enrolled:
    recovery_codes: list[str]
    session: Session


async def _signed_in_user(principal: Principal) -> User:
    if principal.user_id is None:
        raise Unauthenticated("Sign in first.")
    user = await users.active(principal.user_id)
    if user is None:
        raise Unauthenticated("Sign in first.")
    return user


async def begin(principal: Principal) -> str:
    user = await _signed_in_user(principal)
    uri = await mfa.begin_enrolment(user)
    await audit.write([audit.record_for(principal, action="MFA_ENROLMENT_STARTED")])
    return uri


async def confirm(principal: Principal, *, code: str) -> Enrolled:
    """Activates MFA and returns a full session (the code just proved the second factor)."""
    user = await _signed_in_user(principal)
    codes = await mfa.confirm_enrolment(user, code)
    await audit.write([audit.record_for(principal, action="MFA_ENABLED")])
    return Enrolled(codes, await issue_session(user, mfa_passed=True))
