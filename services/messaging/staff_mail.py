"""Email to staff (invitations, password resets, email-change confirmations).

The contract h/staff codes against: record the message and queue its send in the caller's
transaction (a rollback sends nothing). The link carries a secret token, so the context is
stored encrypted on the message row and the job payload holds the message id only.
"""

from __future__ import annotations

from collections.abc import Mapping
from uuid import UUID

from tortoise.transactions import in_transaction

from services.errors import ValidationFailed
from services.messaging import addresses, records
from services.messaging.template_catalogue import STAFF_TEMPLATES

CONTEXT_KEYS = frozenset({"name", "link", "expires_at"})
PURPOSES = {
    "staff_invitation": "STAFF_INVITATION",
    "password_reset": "PASSWORD_RESET",
    "email_change": "EMAIL_CHANGE",
}


async def send_staff_email(
    *,
    to: str,
    template: str,
    context: Mapping[str, str],
    practice_id: UUID | None,
    staff_user_id: UUID | None = None,
) -> None:
    """Record and queue one staff email; ``context`` keys: name, link, expires_at."""
    if template not in STAFF_TEMPLATES:
        raise ValidationFailed("No such staff email template.", field="template")
    missing = sorted(CONTEXT_KEYS - set(context))
    if missing:
        raise ValidationFailed(f"Missing template values: {', '.join(missing)}.", field="context")
    address = addresses.email(to, "email")
    values = {k: str(v) for k, v in context.items() if k in CONTEXT_KEYS}
    async with in_transaction() as connection:
        await records.record(
            connection,
            practice_id=practice_id,
            channel="EMAIL",
            purpose=PURPOSES[template],
            template=template,
            staff_user_id=staff_user_id,
            to_address=address,
            context=values,
        )


__all__ = ["send_staff_email"]
