"""Signing and verifying access tokens (the one place that touches JOSE).

HS256 only, key chosen by ``kid`` so keys can be rotated: tokens signed with an older key stay
valid until they expire. ``alg: none``, other algorithms, unknown ``crit`` headers, a wrong
audience or issuer, and expired tokens are all refused the same way.
"""

from __future__ import annotations

import secrets
import time
from datetime import timedelta
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey

from services import runtime
from services.errors import Unauthenticated

ISSUER = "aescrm"
AUDIENCE = "aescrm-api"
ALGORITHMS = ["HS256"]

_claims = jwt.JWTClaimsRegistry(
    leeway=5,
    iss={"essential": True, "value": ISSUER},
    aud={"essential": True, "value": AUDIENCE},
    exp={"essential": True},
    sub={"essential": True},
    jti={"essential": True},
)


def _keyset() -> tuple[KeySet, OctKey]:
    """The configured keys, imported once per configuration (not on every request)."""
    keys, current = runtime.jwt_keys()
    config = (tuple(keys.items()), current)
    found = _imported.get(config)
    if found is None:
        imported = {kid: OctKey.import_key(secret, {"kid": kid}) for kid, secret in keys.items()}
        _imported.clear()  # a new configuration (tests, rotation): only the current one is kept
        _signed.clear()
        found = _imported[config] = (KeySet(list(imported.values())), imported[current])
    return found


_imported: dict[object, tuple[KeySet, OctKey]] = {}


def issue(claims: dict[str, Any], ttl: timedelta) -> tuple[str, str, int]:
    """Returns (token, jti, expiry as unix time)."""
    _, key = _keyset()
    now = int(time.time())
    jti = secrets.token_hex(16)
    body = {
        **claims,
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + int(ttl.total_seconds()),
        "jti": jti,
    }
    token = jwt.encode({"alg": "HS256", "kid": key.kid, "typ": "JWT"}, body, key)
    return token, jti, body["exp"]


def verify(token: str) -> dict[str, Any]:
    keyset, _ = _keyset()
    try:
        # A request's token is checked twice (rate limit, then authentication): the signature
        # is verified once per key set; the claims (expiry) are validated on every call.
        claims = _signed.get((id(keyset), token))
        if claims is None:
            claims = jwt.decode(token, keyset, algorithms=ALGORITHMS).claims
            if len(_signed) >= _SIGNED_MAX:
                _signed.clear()
            _signed[(id(keyset), token)] = claims
        _claims.validate(claims)
    except (JoseError, ValueError, TypeError, KeyError):
        raise Unauthenticated("Invalid or expired token.") from None
    return dict(claims)


# Tokens whose signature verified, by key set (a new key configuration is a new key set).
_signed: dict[tuple[int, str], dict[str, Any]] = {}
_SIGNED_MAX = 4096


def verified_subject(token: str) -> str | None:
    """Whose genuine, unexpired access or partner token this is (``sub``), else None.

    Only the signature and claims are checked (no database): enough to key a rate limit on who
    is calling without letting a made-up token pick a fresh bucket.
    """
    try:
        claims = verify(token)
    except Unauthenticated:
        return None
    if claims.get("typ") not in ("access", "partner"):
        return None
    subject = claims.get("sub")
    return subject if isinstance(subject, str) else None
