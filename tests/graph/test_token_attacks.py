"""Forged, expired and misdirected access tokens are all refused with UNAUTHENTICATED."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from db.models import Membership, User
from services import runtime
from services.auth import tokens
from services.errors import Unauthenticated
from services.policy import Role
from tests import factories

ME = "{ me { email } }"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def forge(header: dict[str, Any], claims: dict[str, Any], key: bytes | None) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    if key is None:
        return signing_input + "."
    signature = hmac.new(key, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def valid_claims(user: User, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    claims = {
        "sub": str(user.id),
        "typ": "access",
        "ver": user.token_version,
        "mfa": True,
        "iss": tokens.ISSUER,
        "aud": tokens.AUDIENCE,
        "iat": now,
        "exp": now + 600,
        "jti": "x" * 32,
    }
    claims.update(changes)
    return claims


def server_key() -> tuple[str, bytes]:
    keys, current = runtime.jwt_keys()
    return current, keys[current]


async def status_and_code(client: httpx.AsyncClient, token: str) -> tuple[int, str]:
    response = await client.post(
        "/graphql", json={"query": ME}, headers={"authorization": f"Bearer {token}"}
    )
    body = response.json()
    return response.status_code, body["errors"][0]["extensions"]["code"] if "errors" in body else ""


@pytest.fixture
async def staff(client: httpx.AsyncClient) -> User:
    practice = await factories.practice()
    return await factories.user(Role.PATIENT, practice)


async def test_a_genuine_token_works(client: httpx.AsyncClient, staff: User) -> None:
    kid, key = server_key()
    token = forge({"alg": "HS256", "kid": kid, "typ": "JWT"}, valid_claims(staff), key)
    assert await status_and_code(client, token) == (200, "")


@pytest.mark.parametrize(
    "attack",
    [
        "alg_none",
        "wrong_key",
        "expired",
        "tampered_subject",
        "wrong_audience",
        "wrong_issuer",
        "unknown_crit",
        "rs256_confusion",
        "unknown_kid",
        "refresh_typ",
        "garbage",
    ],
)
async def test_forged_tokens_are_refused(
    client: httpx.AsyncClient, staff: User, attack: str
) -> None:
    kid, key = server_key()
    header: dict[str, Any] = {"alg": "HS256", "kid": kid, "typ": "JWT"}
    claims = valid_claims(staff)
    signing_key: bytes | None = key
    if attack == "alg_none":
        header["alg"] = "none"
        signing_key = None
    elif attack == "wrong_key":
        signing_key = b"k" * 32
    elif attack == "expired":
        claims["exp"] = int(time.time()) - 3600
    elif attack == "wrong_audience":
        claims["aud"] = "someone-else"
    elif attack == "wrong_issuer":
        claims["iss"] = "evil"
    elif attack == "unknown_crit":
        header["crit"] = ["x-evil"]
        header["x-evil"] = True
    elif attack == "rs256_confusion":
        header["alg"] = "RS256"
    elif attack == "unknown_kid":
        header["kid"] = "nope"
    elif attack == "refresh_typ":
        claims["typ"] = "refresh"
    token = forge(header, claims, signing_key)
    if attack == "tampered_subject":
        head, _, rest = token.partition(".")
        _, _, signature = rest.partition(".")
        other = valid_claims(staff, sub="00000000-0000-0000-0000-000000000001")
        token = f"{head}.{_b64(json.dumps(other).encode())}.{signature}"
    if attack == "garbage":
        token = "not-a-jwt"
    assert await status_and_code(client, token) == (401, "UNAUTHENTICATED")


async def test_token_of_a_deleted_user_is_refused(client: httpx.AsyncClient, staff: User) -> None:
    token = factories.access_token(staff)
    assert (await status_and_code(client, token))[0] == 200
    await User.filter(id=staff.id).update(deleted_at=datetime.now(UTC))
    assert await status_and_code(client, token) == (401, "UNAUTHENTICATED")


async def test_revoked_role_takes_effect_on_the_next_request(client: httpx.AsyncClient) -> None:
    practice = await factories.practice()
    admin = await factories.user(Role.PRACTICE_ADMIN, practice)
    token = factories.access_token(admin)
    first = await factories.gql(client, "{ practices { id } }", token=token)
    assert first.data == {"practices": [{"id": str(practice.id)}]}
    await Membership.filter(user_id=admin.id).delete()
    second = await factories.gql(client, "{ practices { id } }", token=token)
    assert second.codes == ["FORBIDDEN"]


async def test_expired_token_from_our_own_signer_is_refused(
    client: httpx.AsyncClient, staff: User
) -> None:
    token = factories.access_token(staff, ttl=timedelta(seconds=-60))
    assert await status_and_code(client, token) == (401, "UNAUTHENTICATED")


async def test_a_token_seen_before_is_still_refused_once_it_expires(
    client: httpx.AsyncClient, staff: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The signature check is remembered per token (each request checks it twice); expiry is not.
    token = factories.access_token(staff, ttl=timedelta(seconds=60))
    assert tokens.verify(token)["sub"] == str(staff.id)
    later = time.time() + 3600
    monkeypatch.setattr("joserfc._rfc7519.claims.time.time", lambda: later)
    with pytest.raises(Unauthenticated):
        tokens.verify(token)
