"""Single-use, expiring links sent by email: issuing them and spending them.

The secret travels only in the email; the row keeps its keyed hash
(``services.auth.link_tokens``). A link is spent in the transaction that acts on it, under a
row lock, so a second use (even a concurrent one) finds it spent. Issuing a new link of the
same purpose spends the user's older ones. Unknown, spent, expired and wrong-purpose links
all get the same answer, so a link cannot be probed for which it is.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db.models import AccountToken
from db.queries import account_tokens
from db.uow import UnitOfWork
from services.auth import link_tokens
from services.errors import ValidationFailed

INVITATION = "INVITATION"
PASSWORD_RESET = "PASSWORD_RESET"  # noqa: S105 - a purpose code, not a password
EMAIL_CHANGE = "EMAIL_CHANGE"
INVALID = "This link is invalid, already used or expired. Ask for a new one."
MAX_TOKEN = 200


async def issue(
    uow: UnitOfWork,
    *,
    user_id: UUID,
    purpose: str,
    ttl: timedelta,
    new_email: str | None = None,
    created_by: UUID | None = None,
) -> tuple[str, datetime]:
    """A new link secret for the user, and when it expires."""
    now = datetime.now(UTC)
    await account_tokens.spend_open(user_id, purpose, now, uow.connection)
    secret, stored = link_tokens.mint()
    expires = now + ttl
    await AccountToken.create(
        user_id=user_id,
        purpose=purpose,
        token_hash=stored,
        expires_at=expires,
        new_email=new_email,
        created_by_id=created_by,
        using_db=uow.connection,
    )
    return secret, expires


async def spend(uow: UnitOfWork, *, token: str, purpose: str) -> AccountToken:
    """The link's row, now marked used; any problem is the same BAD_USER_INPUT."""
    if not token or len(token) > MAX_TOKEN or not token.isascii():
        raise ValidationFailed(INVALID, field="token")
    stored = link_tokens.digest(token)
    row = await account_tokens.for_use(stored, uow.connection)
    now = datetime.now(UTC)
    if (
        row is None
        or not hmac.compare_digest(row.token_hash, stored)
        or row.purpose != purpose
        or row.used_at is not None
        or row.expires_at <= now
    ):
        raise ValidationFailed(INVALID, field="token")
    row.used_at = now
    await row.save(using_db=uow.connection, update_fields=["used_at"])
    return row


def link(base: str, path: str, secret: str) -> str:
    return f"{base.rstrip('/')}/{path}?token={secret}"


def when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


__all__ = ["EMAIL_CHANGE", "INVALID", "INVITATION", "PASSWORD_RESET", "issue", "link", "spend"]
