"""Random secrets sent by link (calendar feed URLs, invitations, password resets).

The link carries 256 random bits; the database keeps only an HMAC-SHA256 of them under a key
derived from ``AESCRM_SECRET_KEY``, so neither a database dump nor a guess offline yields a
working link. Comparisons are constant time. Rotating the secret key invalidates every
outstanding link (feeds must be re-created; invitations and resets re-sent).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from services import runtime

SECRET_BYTES = 32


def _key() -> bytes:
    return hashlib.sha256(b"aescrm-link-tokens:" + runtime.config().secret_key.encode()).digest()


def digest(secret: str) -> str:
    """The stored form of a secret (64 hex characters)."""
    return hmac.new(_key(), secret.encode(), hashlib.sha256).hexdigest()


def mint() -> tuple[str, str]:
    """A new secret and its stored form."""
    secret = secrets.token_urlsafe(SECRET_BYTES)
    return secret, digest(secret)


def matches(secret: str, stored: str | None) -> bool:
    """Whether ``secret`` is the one ``stored`` was made from; costs the same either way."""
    expected = digest(secret)
    return hmac.compare_digest(expected, stored if stored is not None else "0" * len(expected))


__all__ = ["digest", "matches", "mint"]
