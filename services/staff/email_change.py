"""Changing one's sign-in email: a confirmation link to the new address, a notice to the old.

The request needs the current password (a stolen access token alone cannot move the account
to an attacker's address); wrong passwords count toward the sign-in lockout. An address that
already belongs to an account gets the same answer and no email, so the request cannot probe
which addresses exist. Confirming spends the link, moves the email and ends every session
(the sign-in name changed under them).

The old address gets a notice (``email_change_notice``, no link in it) in the same transaction
as the confirmation, so an account taken over is noticed by its owner.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID

from db.queries import sessions as session_rows
from db.queries import staff as staff_rows
from db.queries import users
from db.uow import unit_of_work
from services import audit, runtime
from services.auth import throttle
from services.auth.passwords import verify_password
from services.errors import Conflict, Unauthenticated, ValidationFailed
from services.messaging.staff_mail import send_staff_email
from services.principal import Principal
from services.staff import account_links
from services.staff.invitations import email_address

NOTICE_TEMPLATE = "email_change_notice"
ANSWER = "Check the new address for a confirmation link."


async def request(principal: Principal, *, new_email: str, password: str, link_base: str) -> str:
    if principal.user_id is None or principal.client_id is not None:
        raise Unauthenticated("Sign in first.")
    user = await users.live(principal.user_id)
    if user is None:
        raise Unauthenticated("Sign in first.")
    key = f"user:{user.id}"
    await throttle.ensure_not_locked(key)
    if not verify_password(user.password_hash, password):
        await throttle.record_failure(key)
        raise Unauthenticated("The password is not correct.")
    address = email_address(new_email, "newEmail")
    if address == user.email:
        raise ValidationFailed("That is already your email address.", field="newEmail")
    if await users.email_taken(address):
        return ANSWER
    async with unit_of_work() as uow:
        secret, expires = await account_links.issue(
            uow,
            user_id=user.id,
            purpose=account_links.EMAIL_CHANGE,
            ttl=runtime.config().password_reset_ttl,
            new_email=address,
        )
        context = {
            "name": user.full_name,
            "link": account_links.link(link_base, "account/confirm-email", secret),
            "expires_at": account_links.when(expires),
        }
        await send_staff_email(
            to=address,
            template="email_change",
            context=context,
            practice_id=None,
            staff_user_id=user.id,
            connection=uow.connection,
        )
        await send_staff_email(
            to=user.email,
            template=NOTICE_TEMPLATE,
            context={**context, "link": ""},
            practice_id=None,
            staff_user_id=user.id,
            connection=uow.connection,
        )
        uow.audit(
            audit.record_for(
                principal, action="EMAIL_CHANGE_REQUESTED", entity_type="User", entity_id=user.id
            )
        )
    return ANSWER


async def confirm(*, token: str, principal: Principal) -> None:
    async with unit_of_work() as uow:
        row = await account_links.spend(uow, token=token, purpose=account_links.EMAIL_CHANGE)
        user = await staff_rows.user_for_update(UUID(str(row.user_id)), uow.connection)
        if user is None or not user.is_active or not row.new_email:
            raise ValidationFailed(account_links.INVALID, field="token")
        if await users.email_taken(row.new_email):
            raise Conflict("An account with that email already exists.")
        user.email = row.new_email
        user.token_version += 1
        await user.save(using_db=uow.connection, update_fields=["email", "token_version"])
        await session_rows.revoke_all_in(user.id, datetime.now(UTC), uow.connection)
        uow.audit(
            audit.record_for(
                Principal(user_id=user.id, meta=principal.meta),
                action="EMAIL_CHANGED",
                entity_type="User",
                entity_id=user.id,
            )
        )


__all__ = ["ANSWER", "confirm", "request"]
