"""The position a sync client keeps between calls: opaque, signed, and checked on the way in.

A position is a sequence number per practice (each practice numbers its events gap-free under a
row lock, ``db.outbox``, so "everything up to n" is exact there; there is no order across
practices to rely on). It travels as base64url JSON plus an HMAC-SHA256 tag under a key derived
from ``AESCRM_SECRET_KEY``: a cursor that was not made here, was edited or was cut short is
``BAD_USER_INPUT`` on ``since`` (never a position the server did not hand out). Rotating the
secret key turns every outstanding cursor into ``BAD_USER_INPUT``: clients resync from the start.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Mapping
from uuid import UUID

import orjson

from services import runtime
from services.errors import ValidationFailed

VERSION = 1
TAG_BYTES = 16
MAX_LENGTH = 8_192  # a practice costs ~60 characters: room for 100 practices and more


def _key() -> bytes:
    return hashlib.sha256(b"aescrm-change-cursor:" + runtime.config().secret_key.encode()).digest()


def _tag(body: bytes) -> bytes:
    return hmac.new(_key(), body, hashlib.sha256).digest()[:TAG_BYTES]


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(positions: Mapping[UUID, int]) -> str:
    """The cursor for ``positions`` (practice -> last sequence seen), in a stable form."""
    body = orjson.dumps([VERSION, sorted([p.hex, int(s)] for p, s in positions.items())])
    return f"{_b64(body)}.{_b64(_tag(body))}"


def _refused() -> ValidationFailed:
    return ValidationFailed("'since' is not a cursor this service gave out.", field="since")


def decode(cursor: str) -> dict[UUID, int]:
    """The positions of a cursor made by :func:`encode`; anything else is BAD_USER_INPUT."""
    if not 0 < len(cursor) <= MAX_LENGTH or cursor.count(".") != 1:
        raise _refused()
    body_text, tag_text = cursor.split(".")
    try:
        body, tag = _unb64(body_text), _unb64(tag_text)
    except (ValueError, binascii.Error):
        raise _refused() from None
    if not hmac.compare_digest(tag, _tag(body)):
        raise _refused()
    try:
        version, pairs = orjson.loads(body)
        positions = {UUID(hex=p): int(s) for p, s in pairs}
    except (ValueError, TypeError, orjson.JSONDecodeError):
        raise _refused() from None
    if version != VERSION or any(s < 0 for s in positions.values()):
        raise _refused()
    return positions


__all__ = ["decode", "encode"]
