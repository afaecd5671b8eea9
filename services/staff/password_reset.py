"""Forgotten passwords: asking for a reset link, and using it.

Asking answers the same whether or not the address has an account, and takes about the same
time: both paths do the same throttle writes and are padded to a floor (``FLOOR_SECONDS``),
which covers the extra work of issuing a link. Requests are limited per address (kept as an
HMAC, never in clear) and per client address; over the limit the answer is RATE_LIMITED,
again the same for any address. Using a link sets the password under the password policy,
spends the link, and ends every session of the account (refresh tokens revoked, token version
bumped). MFA is untouched: the next sign-in still asks for the code.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db.queries import sessions as session_rows
from db.queries import staff as staff_rows
from db.queries import users
from db.uow import unit_of_work
from services import audit, runtime
from services.auth import link_tokens, throttle
from services.auth.passwords import hash_password, password_problem
from services.errors import RateLimited, ValidationFailed
from services.messaging.staff_mail import send_staff_email
from services.principal import Principal, RequestMeta
from services.staff import account_links
from services.staff.invitations import email_address

FLOOR_SECONDS = 0.4
WINDOW = timedelta(hours=1)
PER_ADDRESS = 3
PER_CLIENT = 20
ANSWER = "If an account uses that address, a reset link is on its way."


async def _pad(started: float) -> None:
    left = FLOOR_SECONDS - (time.monotonic() - started)
    if left > 0:
        await asyncio.sleep(left)


async def request(*, email: str, meta: RequestMeta, link_base: str) -> str:
    started = time.monotonic()
    try:
        address = email_address(email)
        by_address = await throttle.within_limit(
            f"reset-address:{link_tokens.digest(address)}", PER_ADDRESS, WINDOW
        )
        by_client = await throttle.within_limit(
            f"reset-ip:{meta.ip or 'unknown'}", PER_CLIENT, WINDOW
        )
        if not (by_address and by_client):
            raise RateLimited("Too many reset requests. Try again later.")
        user = await users.by_email(address)
        if user is not None and user.is_active:
            await _send(user.id, user.email, user.full_name, meta, link_base)
        return ANSWER
    finally:
        await _pad(started)


async def _send(user_id: UUID, address: str, name: str, meta: RequestMeta, base: str) -> None:
    async with unit_of_work() as uow:
        secret, expires = await account_links.issue(
            uow,
            user_id=user_id,
            purpose=account_links.PASSWORD_RESET,
            ttl=runtime.config().password_reset_ttl,
        )
        await send_staff_email(
            to=address,
            template="password_reset",
            context={
                "name": name,
                "link": account_links.link(base, "account/reset-password", secret),
                "expires_at": account_links.when(expires),
            },
            practice_id=None,
            staff_user_id=user_id,
            connection=uow.connection,
        )
        uow.audit(
            audit.record_for(
                Principal(user_id=user_id, meta=meta),
                action="PASSWORD_RESET_REQUESTED",
                entity_type="User",
                entity_id=user_id,
            )
        )


async def reset(*, token: str, password: str, meta: RequestMeta) -> None:
    if problem := password_problem(password):
        raise ValidationFailed(problem, field="password")
    async with unit_of_work() as uow:
        row = await account_links.spend(uow, token=token, purpose=account_links.PASSWORD_RESET)
        user = await staff_rows.user_for_update(UUID(str(row.user_id)), uow.connection)
        if user is None or not user.is_active:
            raise ValidationFailed(account_links.INVALID, field="token")
        user.password_hash = hash_password(password)
        user.token_version += 1
        user.failed_logins, user.locked_until = 0, None
        await user.save(
            using_db=uow.connection,
            update_fields=["password_hash", "token_version", "failed_logins", "locked_until"],
        )
        await session_rows.revoke_all_in(user.id, datetime.now(UTC), uow.connection)
        uow.audit(
            audit.record_for(
                Principal(user_id=user.id, meta=meta),
                action="PASSWORD_RESET",
                entity_type="User",
                entity_id=user.id,
            )
        )
    await throttle.clear(f"user:{user.id}")


__all__ = ["ANSWER", "FLOOR_SECONDS", "request", "reset"]
