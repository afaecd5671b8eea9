"""The development channel: the rendered message is kept (encrypted) on its row instead of
being sent, so ``make run`` and the ``sentMessages`` query show what would have gone out."""

from __future__ import annotations

from uuid import UUID

from db.models import Message
from db.queries import messages as queries
from services.messaging import records
from services.messaging.templates import Rendered

DEVELOPMENT = "development"


async def store(message: Message, rendered: Rendered) -> str:
    pid = UUID(str(message.practice_id)) if message.practice_id else None
    body = rendered.sms if message.channel == "SMS" and rendered.sms else rendered.text
    await queries.update(
        message.id,
        None,
        rendered_subject=records.sealed(message.id, pid, "rendered_subject", rendered.subject),
        rendered_text=records.sealed(message.id, pid, "rendered_text", body),
    )
    return f"dev-{message.id}"


__all__ = ["DEVELOPMENT", "store"]
