"""Inviting staff by email, and accepting an invitation.

An admin invites someone into a practice they administer, with a role up to their own rank
(``services.staff.reach``). The account exists from the invitation on, inactive and with an
unusable random password; the invitee opens the emailed link (single use, expiring,
``AESCRM_INVITATION_HOURS``), chooses a password under the password policy, and gets a session
that can do nothing but enrol MFA (every staff role requires it) until they do.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.models import Membership, User
from db.queries import staff as staff_rows
from db.queries import users
from db.uow import unit_of_work
from services import audit, runtime, tenant_gate
from services.auth.passwords import hash_password, password_problem
from services.auth.sessions import Session, issue_session
from services.errors import Conflict, PolicyDenied, ValidationFailed
from services.messaging.staff_mail import send_staff_email
from services.policy import Role, Scope
from services.principal import Principal, RequestMeta
from services.staff import account_links, reach

MAX_NAME = 200


@dataclass(frozen=True, slots=True)
class Invited:
    user: User
    expires_at: datetime


def email_address(value: str, field: str = "email") -> str:
    """A sign-in address, folded to lower case; refused when it cannot be one."""
    address = value.strip().casefold()
    local, at, domain = address.rpartition("@")
    if (
        not at
        or not local
        or "." not in domain
        or domain.startswith(".")
        or domain.endswith(".")
        or len(address) > 254
        or any(c.isspace() or ord(c) < 32 or c in "<>,;\"'\\" for c in address)
    ):
        raise ValidationFailed("Enter a valid email address.", field=field)
    return address


def _name(value: str) -> str:
    name = value.strip()
    if not name or len(name) > MAX_NAME or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise ValidationFailed(f"Full name must be 1-{MAX_NAME} characters.", field="fullName")
    return name


async def invite(
    principal: Principal,
    *,
    email: str,
    full_name: str,
    practice_id: UUID,
    role: Role,
    link_base: str,
) -> Invited:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.STAFF_ADMIN)
    if role not in reach.ASSIGNABLE:
        raise ValidationFailed("Only staff roles can be given here.", field="role")
    address, name = email_address(email), _name(full_name)
    if reach.RANK[role] > reach.rank_in(principal, pid):
        await audit.write(
            [audit.record_for(principal, action="STAFF_INVITED", outcome="DENIED", practice_id=pid)]
        )
        raise PolicyDenied("You cannot give a role above your own.")
    if await users.email_taken(address):
        raise Conflict("An account with that email already exists.")
    org = principal.organization_of(pid)
    async with unit_of_work() as uow:
        user = await User.create(
            email=address,
            full_name=name,
            password_hash=hash_password(secrets.token_urlsafe(32)),
            is_active=False,
            using_db=uow.connection,
        )
        await Membership.create(
            user_id=user.id,
            role=role.value,
            practice_id=None if role is Role.ORG_ADMIN else pid,
            organization_id=org if role is Role.ORG_ADMIN else None,
            using_db=uow.connection,
        )
        secret, expires = await account_links.issue(
            uow,
            user_id=user.id,
            purpose=account_links.INVITATION,
            ttl=runtime.config().invitation_ttl,
            created_by=principal.user_id,
        )
        await send_staff_email(
            to=address,
            template="staff_invitation",
            context={
                "name": name,
                "link": account_links.link(link_base, "account/accept-invitation", secret),
                "expires_at": account_links.when(expires),
            },
            practice_id=pid,
            staff_user_id=user.id,
            connection=uow.connection,
        )
        uow.audit(
            audit.record_for(
                principal,
                action="STAFF_INVITED",
                practice_id=pid,
                entity_type="User",
                entity_id=user.id,
                fields=["role", role.value],
            )
        )
    return Invited(user, expires)


async def accept(*, token: str, password: str, meta: RequestMeta) -> Session:
    """Sets the invitee's password and activates the account; MFA enrolment comes next."""
    if problem := password_problem(password):
        raise ValidationFailed(problem, field="password")
    async with unit_of_work() as uow:
        row = await account_links.spend(uow, token=token, purpose=account_links.INVITATION)
        user = await staff_rows.user_for_update(UUID(str(row.user_id)), uow.connection)
        if user is None:
            raise ValidationFailed(account_links.INVALID, field="token")
        user.password_hash = hash_password(password)
        user.is_active = True
        user.token_version += 1
        await user.save(
            using_db=uow.connection, update_fields=["password_hash", "is_active", "token_version"]
        )
        uow.audit(
            audit.record_for(
                Principal(user_id=user.id, meta=meta),
                action="INVITATION_ACCEPTED",
                entity_type="User",
                entity_id=user.id,
            )
        )
    return await issue_session(user, mfa_passed=False)


__all__ = ["Invited", "accept", "email_address", "invite"]
