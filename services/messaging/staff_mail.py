"""Email to staff (invitations, password resets, email-change confirmations).

The contract h/staff codes against: record the message and queue its send in the caller's
transaction (a rollback sends nothing). The link carries a secret token, so the context is
stored encrypted on the message row and the job payload holds the message id only.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from services.errors import ValidationFailed
from services.messaging import addresses, records
from services.messaging.template_catalogue import STAFF_TEMPLATES

CONTEXT_KEYS = frozenset({"name", "link", "expires_at"})
# The values each template needs (an account link's, unless named here).
TEMPLATE_KEYS = {"webhook_disabled": frozenset({"name", "endpoint", "failures"})}
PURPOSES = {
    "staff_invitation": "STAFF_INVITATION",
    "password_reset": "PASSWORD_RESET",
    "email_change": "EMAIL_CHANGE",
    "email_change_notice": "EMAIL_CHANGE",
    "webhook_disabled": "OPERATOR_NOTICE",
}


async def send_staff_email(
    *,
    to: str,
    template: str,
    context: Mapping[str, str],
    practice_id: UUID | None,
    staff_user_id: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> None:
    """Record and queue one staff email; ``context`` keys: name, link, expires_at (or the
    template's own, ``TEMPLATE_KEYS``). On ``connection`` when given: the caller's transaction,
    so the email goes only if what it announces commits."""
    if template not in STAFF_TEMPLATES:
        raise ValidationFailed("No such staff email template.", field="template")
    keys = TEMPLATE_KEYS.get(template, CONTEXT_KEYS)
    missing = sorted(keys - set(context))
    if missing:
        raise ValidationFailed(f"Missing template values: {', '.join(missing)}.", field="context")
    address = addresses.email(to, "email")
    values = {k: str(v) for k, v in context.items() if k in keys}

    async def write(into: BaseDBAsyncClient) -> None:
        await records.record(
            into,
            practice_id=practice_id,
            channel="EMAIL",
            purpose=PURPOSES[template],
            template=template,
            staff_user_id=staff_user_id,
            to_address=address,
            context=values,
        )

    if connection is not None:
        await write(connection)
        return
    async with in_transaction() as opened:
        await write(opened)


__all__ = ["send_staff_email"]
