"""Standard Webhooks signatures (``standardwebhooks``, the specification's own library).

``webhook-id`` is the delivery's id (the same on every retry and replay, so receivers can
deduplicate), ``webhook-timestamp`` the send time in Unix seconds, ``webhook-signature``
``v1,<base64 HMAC-SHA256 of id.timestamp.body>``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from math import floor
from uuid import UUID

from standardwebhooks.webhooks import Webhook


def message_id(delivery_id: UUID | str) -> str:
    return f"msg_{UUID(str(delivery_id)).hex}"


def headers(secret: str, msg_id: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
    when = at or datetime.now(UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(floor(when.timestamp())),
        "webhook-signature": signature,
        "content-type": "application/json",
    }


__all__ = ["headers", "message_id"]
