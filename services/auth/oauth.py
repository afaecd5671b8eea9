"""OAuth 2.0 for partner apps: client credentials (RFC 6749 §4.4), revocation (RFC 7009) and
introspection (RFC 7662), through authlib's AuthorizationServer, and the server's metadata
document (RFC 8414).

authlib's server is synchronous, so everything it needs from the database (the client row,
whether a token was revoked) is fetched first; what it decides (revocations) is written after.
A partner token never carries more than its client's registration: asking for a scope beyond the
client's grant (and the partner ceiling in the policy) answers ``invalid_scope`` (RFC 6749 §5.2);
no scope asked means all of the grant; practices are always the client's practices.
"""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from authlib.oauth2.rfc6749 import (
    AuthorizationServer,
    ClientMixin,
    OAuth2Payload,
    OAuth2Request,
    TokenMixin,
)
from authlib.oauth2.rfc6749.errors import InvalidScopeError
from authlib.oauth2.rfc6749.grants import ClientCredentialsGrant
from authlib.oauth2.rfc6749.util import scope_to_list
from authlib.oauth2.rfc7009 import RevocationEndpoint
from authlib.oauth2.rfc7662 import IntrospectionEndpoint

from db.models import PartnerClient, RevokedToken
from db.queries import partner_clients
from services import audit, runtime
from services.auth import tokens
from services.auth.clients import secret_matches
from services.errors import Unauthenticated
from services.policy import ROLE_SCOPES, Role, Scope
from services.principal import Principal, RequestMeta

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
# TLS terminates in front of the service; authlib only needs an https-looking URI.
ENDPOINT_URI = "https://aescrm.invalid/oauth"


@dataclass(frozen=True, slots=True)
class FormRequest:
    """A form POST, framework-free; header names in lower case."""

    method: str
    headers: dict[str, str]
    form: dict[str, str]
    meta: RequestMeta = field(default_factory=RequestMeta)


@dataclass(frozen=True, slots=True)
class OAuthResponse:
    status: int
    body: dict[str, Any]
    headers: list[tuple[str, str]]


class _Payload(OAuth2Payload):  # type: ignore[misc]
    def __init__(self, form: dict[str, str]) -> None:
        self._form = form

    @property
    def data(self) -> dict[str, str]:
        return self._form

    @property
    def datalist(self) -> defaultdict[str, list[str]]:
        values: defaultdict[str, list[str]] = defaultdict(list)
        for key, value in self._form.items():
            values[key].append(value)
        return values


class _Request(OAuth2Request):  # type: ignore[misc]
    def __init__(self, request: FormRequest) -> None:
        # authlib looks headers up by their canonical spelling ("Authorization").
        headers = {name.title(): value for name, value in request.headers.items()}
        super().__init__(method=request.method, uri=ENDPOINT_URI, headers=headers)
        self.payload = _Payload(request.form)
        self._form = request.form

    @property
    def form(self) -> dict[str, str]:
        return self._form

    @property
    def args(self) -> dict[str, str]:
        return {}


class _Client(ClientMixin):  # type: ignore[misc]
    def __init__(self, row: PartnerClient) -> None:
        self.row = row
        self.client_id = row.client_id
        self.ceiling = {Scope(s) for s in row.scopes if s in Scope._value2member_map_}
        self.ceiling &= ROLE_SCOPES[Role.PARTNER]

    def get_client_id(self) -> str:
        return self.client_id

    def get_default_redirect_uri(self) -> None:
        return None

    def get_allowed_scope(self, scope: str | None) -> str:
        requested = set((scope or "").split()) or {s.value for s in self.ceiling}
        return " ".join(sorted(requested & {s.value for s in self.ceiling}))

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        return False

    def check_client_secret(self, client_secret: str) -> bool:
        return secret_matches(self.row, client_secret)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        return method in AUTH_METHODS

    def check_response_type(self, response_type: str) -> bool:
        return False

    def check_grant_type(self, grant_type: str) -> bool:
        return grant_type == "client_credentials"


class _ClientCredentials(ClientCredentialsGrant):  # type: ignore[misc]
    def validate_requested_scope(self) -> None:
        super().validate_requested_scope()  # scopes the server does not know at all
        requested = set(scope_to_list(self.request.payload.scope) or [])
        allowed = {scope.value for scope in self.request.client.ceiling}
        if not requested <= allowed:
            raise InvalidScopeError("The requested scope exceeds the client's grant.")


class _Token(TokenMixin):  # type: ignore[misc]
    def __init__(self, claims: dict[str, Any]) -> None:
        self.claims = claims

    def check_client(self, client: _Client) -> bool:
        return bool(self.claims.get("cid") == client.client_id)

    def get_scope(self) -> str:
        return str(self.claims.get("scope", ""))

    def get_expires_in(self) -> int:
        return max(0, int(self.claims["exp"]) - int(datetime.now(UTC).timestamp()))

    def is_expired(self) -> bool:
        return self.get_expires_in() <= 0

    def is_revoked(self) -> bool:
        return False


def _partner_claims(token: str) -> dict[str, Any] | None:
    try:
        claims = tokens.verify(token)
    except Unauthenticated:
        return None
    return claims if claims.get("typ") == "partner" else None


class _Server(AuthorizationServer):  # type: ignore[misc]
    def __init__(self, clients: dict[str, _Client], revoked_jtis: set[str]) -> None:
        super().__init__(scopes_supported=[s.value for s in Scope])
        self.clients = clients
        self.revoked_jtis = revoked_jtis
        self.newly_revoked: list[dict[str, Any]] = []
        self.issued: list[dict[str, Any]] = []
        self.register_grant(_ClientCredentials)
        self.register_endpoint(_Revocation)
        self.register_endpoint(_Introspection)
        self.register_token_generator(ClientCredentialsGrant.GRANT_TYPE, self._generate)

    def query_client(self, client_id: str) -> _Client | None:
        return self.clients.get(client_id)

    def save_token(self, token: dict[str, Any], request: _Request) -> None:
        self.issued.append(token)

    def create_oauth2_request(self, request: _Request) -> _Request:
        return request

    def handle_response(
        self, status: int, body: Any, headers: list[tuple[str, str]]
    ) -> OAuthResponse:
        return OAuthResponse(status, dict(body or {}), list(headers or []))

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        return None

    def _generate(
        self, *, grant_type: str, client: _Client, scope: str | None = None, **ignored: Any
    ) -> dict[str, Any]:
        ttl = runtime.config().access_ttl
        granted = client.get_allowed_scope(scope)
        token, _, _ = tokens.issue(
            {
                "sub": f"client:{client.client_id}",
                "cid": client.client_id,
                "typ": "partner",
                "ver": client.row.token_version,
                "scope": granted,
                "practices": list(client.row.practice_ids),
            },
            ttl,
        )
        return {
            "access_token": token,
            "token_type": "Bearer",
            "expires_in": int(ttl.total_seconds()),
            "scope": granted,
        }


class _Revocation(RevocationEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        claims = _partner_claims(token_string)
        return None if claims is None else _Token(claims)

    def revoke_token(self, token: _Token, request: _Request) -> None:
        self.server.newly_revoked.append(token.claims)


class _Introspection(IntrospectionEndpoint):  # type: ignore[misc]
    CLIENT_AUTH_METHODS = list(AUTH_METHODS)

    def query_token(self, token_string: str, token_type_hint: str | None) -> _Token | None:
        claims = _partner_claims(token_string)
        if claims is None or claims["jti"] in self.server.revoked_jtis:
            return None
        client = self.server.clients.get(claims.get("cid", ""))
        if client is not None and claims.get("ver", 0) != client.row.token_version:
            return None  # issued before a suspension or deletion
        return _Token(claims)

    def check_permission(self, token: _Token, client: _Client, request: _Request) -> bool:
        return token.check_client(client)

    def introspect_token(self, token: _Token) -> dict[str, Any]:
        claims = token.claims
        scope = str(claims.get("scope", ""))
        client = self.server.clients.get(claims["cid"])
        if client is not None:  # an admin may have narrowed the grant since it was issued
            held = {s.value for s in client.ceiling}
            scope = " ".join(s for s in scope.split() if s in held)
        return {
            "active": True,
            "client_id": claims["cid"],
            "token_type": "Bearer",
            "scope": scope,
            "sub": claims["sub"],
            "aud": claims["aud"],
            "iss": claims["iss"],
            "exp": claims["exp"],
            "iat": claims["iat"],
            "jti": claims["jti"],
        }


def server_metadata(issuer: str) -> dict[str, Any]:
    """The RFC 8414 document served at ``/.well-known/oauth-authorization-server``.

    ``issuer`` is the service's public base URL (https, no path needed). There is no
    authorization endpoint (client credentials only), hence no response types.
    """
    base = issuer.rstrip("/")
    methods = list(AUTH_METHODS)
    return {
        "issuer": base,
        "token_endpoint": f"{base}/oauth/token",
        "revocation_endpoint": f"{base}/oauth/revoke",
        "introspection_endpoint": f"{base}/oauth/introspect",
        "grant_types_supported": [ClientCredentialsGrant.GRANT_TYPE],
        "response_types_supported": [],
        "token_endpoint_auth_methods_supported": methods,
        "revocation_endpoint_auth_methods_supported": methods,
        "introspection_endpoint_auth_methods_supported": methods,
        "scopes_supported": sorted(scope.value for scope in ROLE_SCOPES[Role.PARTNER]),
    }


def _client_id_of(request: FormRequest) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return None
        return decoded.partition(":")[0] or None
    return request.form.get("client_id")


async def _prefetch(request: FormRequest) -> _Server:
    client_id = _client_id_of(request)
    row = await partner_clients.active(client_id) if client_id else None
    clients = {row.client_id: _Client(row)} if row else {}
    revoked: set[str] = set()
    token = request.form.get("token")
    claims = _partner_claims(token) if token else None
    if claims is not None and await partner_clients.is_revoked(claims["jti"]):
        revoked.add(claims["jti"])
    return _Server(clients, revoked)


def _principal(request: FormRequest, client_id: str | None) -> Principal:
    return Principal(client_id=client_id, meta=request.meta)


async def token(request: FormRequest) -> OAuthResponse:
    server = await _prefetch(request)
    response: OAuthResponse = server.create_token_response(_Request(request))
    client_id = _client_id_of(request)
    outcome = "OK" if response.status == 200 else "DENIED"
    await audit.write(
        [audit.record_for(_principal(request, client_id), action="OAUTH_TOKEN", outcome=outcome)]
    )
    return response


async def revoke(request: FormRequest) -> OAuthResponse:
    server = await _prefetch(request)
    response: OAuthResponse = server.create_endpoint_response(
        RevocationEndpoint.ENDPOINT_NAME, _Request(request)
    )
    for claims in server.newly_revoked:
        await RevokedToken.bulk_create(
            [
                RevokedToken(
                    jti=claims["jti"], expires_at=datetime.fromtimestamp(claims["exp"], UTC)
                )
            ],
            ignore_conflicts=True,
        )
    if server.newly_revoked:
        principal = _principal(request, _client_id_of(request))
        await audit.write([audit.record_for(principal, action="OAUTH_TOKEN_REVOKED")])
    return response


async def introspect(request: FormRequest) -> OAuthResponse:
    server = await _prefetch(request)
    response: OAuthResponse = server.create_endpoint_response(
        IntrospectionEndpoint.ENDPOINT_NAME, _Request(request)
    )
    return response
