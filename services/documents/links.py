"""Short-lived signed links to one document, for places a bearer header cannot go (``<img>``).

A link names the document, the variant, the user who minted it, whether they had passed MFA,
their account's token version and an expiry, signed with a key derived from the server secret.
Redeeming it re-reads that user's memberships *now* (a revoked role, a password reset or a
locked account ends every link at once), then opens the document through the same checks and
audit as the bearer endpoint, in the name of the user who minted it. Partner applications use
their bearer tokens instead.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from datetime import UTC, datetime
from uuid import UUID

from db.queries import memberships
from services import runtime
from services.auth.principal_loader import principal_for_access
from services.errors import PolicyDenied, Unauthenticated
from services.principal import Principal, RequestMeta

_EXPIRED = "The link has expired or is not valid."


def _key() -> bytes:
    return hashlib.sha256(b"aescrm-document-link:" + runtime.config().secret_key.encode()).digest()


def _signature(document_id: UUID, variant: str, user: UUID, mfa: int, ver: int, exp: int) -> str:
    message = f"{document_id}|{variant}|{user}|{mfa}|{ver}|{exp}".encode()
    return hmac.new(_key(), message, hashlib.sha256).hexdigest()


async def mint(
    principal: Principal, document_id: UUID, variant: str, seconds: int
) -> tuple[str, datetime]:
    """A link token for a document the caller has just been allowed to read."""
    if principal.user_id is None:
        raise PolicyDenied("Partner applications open documents with their bearer token.")
    account = await memberships.account(principal.user_id)
    if account is None or not account.active:
        raise Unauthenticated("Invalid or expired token.")
    exp = int(time.time()) + seconds
    mfa = int(principal.mfa_passed)
    ver = int(account.token_version)
    sig = _signature(document_id, variant, principal.user_id, mfa, ver, exp)
    return f"{exp}.{principal.user_id}.{mfa}.{ver}.{sig}", datetime.fromtimestamp(exp, UTC)


async def redeem(token: str, document_id: UUID, variant: str, meta: RequestMeta) -> Principal:
    """The minting user's principal as it stands now; UNAUTHENTICATED for any doubt."""
    try:
        exp_text, user_text, mfa_text, ver_text, sig = token.split(".")
        exp, user, mfa, ver = int(exp_text), UUID(user_text), int(mfa_text), int(ver_text)
    except ValueError:
        raise Unauthenticated(_EXPIRED) from None
    expected = _signature(document_id, variant, user, mfa, ver, exp)
    if not hmac.compare_digest(expected, sig) or exp < time.time():
        raise Unauthenticated(_EXPIRED)
    claims = {"sub": str(user), "mfa": bool(mfa), "ver": ver, "exp": exp}
    principal = await principal_for_access(claims, meta)
    if principal.enrolment_only:
        raise Unauthenticated(_EXPIRED)
    return principal


__all__ = ["mint", "redeem"]
