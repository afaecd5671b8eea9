"""Unsubscribe links and the List-Unsubscribe headers every marketing email carries.

The link names the message by id and is signed (HMAC-SHA256 with the service's secret key), so
it needs no login and cannot be forged for another patient. RFC 8058 one-click: mail clients
POST ``List-Unsubscribe=One-Click`` to the same URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from uuid import UUID

from db.models import Message
from services.messaging import channels

UNSUBSCRIBE_PATH = "/messages/unsubscribe/"


def _mac(message_id: UUID) -> str:
    key = channels.config().secret_key.encode()
    digest = hmac.new(key, b"unsubscribe:" + str(message_id).encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def token(message_id: UUID) -> str:
    return f"{message_id}.{_mac(message_id)}"


def message_of(value: str) -> UUID | None:
    """The message a token names, if its signature holds."""
    raw, _, mac = value.partition(".")
    try:
        message_id = UUID(raw)
    except ValueError:
        return None
    return message_id if hmac.compare_digest(_mac(message_id), mac) else None


def unsubscribe_url(message: Message) -> str:
    base = channels.config().public_url.rstrip("/")
    return f"{base}{UNSUBSCRIBE_PATH}{token(message.id)}"


def marketing_headers(message: Message) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{unsubscribe_url(message)}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


__all__ = ["UNSUBSCRIBE_PATH", "marketing_headers", "message_of", "token", "unsubscribe_url"]
