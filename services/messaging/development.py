"""The development channel: the rendered message is kept (encrypted) on its row instead of
being sent, so ``make run`` and the ``sentMessages`` query show what would have gone out.
The caller writes these columns in the same statement that marks the message SENT."""

from __future__ import annotations

from uuid import UUID

from db.models import Message
from services.messaging import records
from services.messaging.templates import Rendered

DEVELOPMENT = "development"


def stored(message: Message, rendered: Rendered) -> dict[str, object]:
    """The columns that keep the rendered message (sealed) and its development provider id."""
    pid = UUID(str(message.practice_id)) if message.practice_id else None
    body = rendered.sms if message.channel == "SMS" and rendered.sms else rendered.text
    return {
        "rendered_subject": records.sealed(message.id, pid, "rendered_subject", rendered.subject),
        "rendered_text": records.sealed(message.id, pid, "rendered_text", body),
        "provider_message_id": f"dev-{message.id}",
    }


__all__ = ["DEVELOPMENT", "stored"]
