"""Partner apps: client credentials, narrowed scopes, revocation and introspection."""

from __future__ import annotations

import base64
import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata
from starlette.applications import Starlette

from graph.app import create_app
from graph.release import VERSION
from graph.settings import Settings
from services.auth import clients
from services.policy import Role
from tests import factories
from tests.conftest import make_settings

with warnings.catch_warnings():
    # authlib 1.9 prefers the "httpx2" fork for its client; the project uses httpx (only here,
    # as a third-party OAuth client in tests), so its import-time deprecation notice is muted.
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from tests.factories import gql

PRACTICES = "{ practices { id } }"


def basic(client_id: str, secret: str) -> dict[str, str]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"authorization": f"Basic {raw}"}


async def token_for(
    http: httpx.AsyncClient, client_id: str, secret: str, scope: str | None = None
) -> httpx.Response:
    form = {"grant_type": "client_credentials"}
    if scope is not None:
        form["scope"] = scope
    return await http.post("/oauth/token", data=form, headers=basic(client_id, secret))


@pytest.fixture
async def partner(client: httpx.AsyncClient):
    return await register_partner()


async def register_partner():
    org = await factories.organization()
    granted = await factories.practice(org, name="Granted")
    other = await factories.practice(org, name="Not granted")
    registered = await clients.register(
        organization_id=org.id,
        name="Recall SMS",
        scopes=["practice:read", "schedule:read"],
        practice_ids=[granted.id],
    )
    return registered, granted, other


async def test_client_credentials_token_reaches_only_granted_practices(
    client: httpx.AsyncClient, partner
) -> None:
    registered, granted, _ = partner
    response = await token_for(client, registered.client_id, registered.client_secret)
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["scope"] == "practice:read schedule:read"
    assert response.headers["cache-control"] == "no-store"
    result = await gql(client, PRACTICES, token=body["access_token"])
    assert result.data == {"practices": [{"id": str(granted.id)}]}


@pytest.mark.parametrize(
    "scope", ["practice:read clinical:read", "clinical:read", "patient:read", "no:such-scope"]
)
async def test_a_scope_beyond_the_grant_answers_invalid_scope(
    client: httpx.AsyncClient, partner, scope: str
) -> None:
    registered, _, _ = partner
    response = await token_for(client, registered.client_id, registered.client_secret, scope)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"  # RFC 6749 §5.2, not a narrowed token
    assert "access_token" not in response.json()
    assert response.headers["cache-control"] == "no-store"


async def test_a_scope_inside_the_grant_is_granted_as_asked(
    client: httpx.AsyncClient, partner
) -> None:
    registered, _, _ = partner
    response = await token_for(
        client, registered.client_id, registered.client_secret, "practice:read"
    )
    assert response.json()["scope"] == "practice:read"
    token = response.json()["access_token"]
    me = await gql(client, "{ auditEvents(first: 1) { edges { cursor } } }", token=token)
    assert me.codes == ["FORBIDDEN"]


async def test_wrong_secret_and_unknown_client_are_refused(
    client: httpx.AsyncClient, partner
) -> None:
    registered, _, _ = partner
    wrong = await token_for(client, registered.client_id, "not-the-secret")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    unknown = await token_for(client, "pc_nobody", "whatever")
    assert unknown.json()["error"] == "invalid_client"
    other_grant = await client.post(
        "/oauth/token",
        data={"grant_type": "password", "username": "a", "password": "b"},
        headers=basic(registered.client_id, registered.client_secret),
    )
    assert other_grant.status_code == 400
    assert other_grant.json()["error"] == "unsupported_grant_type"


async def test_revoked_token_stops_working_and_introspects_inactive(
    client: httpx.AsyncClient, partner
) -> None:
    registered, _, _ = partner
    auth = basic(registered.client_id, registered.client_secret)
    token = (await token_for(client, registered.client_id, registered.client_secret)).json()[
        "access_token"
    ]
    active = await client.post("/oauth/introspect", data={"token": token}, headers=auth)
    assert active.json()["active"] is True
    assert active.json()["client_id"] == registered.client_id

    revoked = await client.post("/oauth/revoke", data={"token": token}, headers=auth)
    assert revoked.status_code == 200
    after = await client.post(
        "/graphql", json={"query": PRACTICES}, headers={"authorization": f"Bearer {token}"}
    )
    assert after.status_code == 401
    inactive = await client.post("/oauth/introspect", data={"token": token}, headers=auth)
    assert inactive.json() == {"active": False}


async def test_another_client_cannot_introspect_or_revoke_my_token(
    client: httpx.AsyncClient, partner
) -> None:
    registered, granted, _ = partner
    org = await factories.organization()
    practice = await factories.practice(org)
    rival = await clients.register(
        organization_id=org.id, name="Rival", scopes=["practice:read"], practice_ids=[practice.id]
    )
    del granted
    token = (await token_for(client, registered.client_id, registered.client_secret)).json()[
        "access_token"
    ]
    rival_auth = basic(rival.client_id, rival.client_secret)
    peek = await client.post("/oauth/introspect", data={"token": token}, headers=rival_auth)
    assert peek.json().get("active") is not True
    await client.post("/oauth/revoke", data={"token": token}, headers=rival_auth)
    still = await gql(client, PRACTICES, token=token)
    assert still.errors == []


async def test_user_access_tokens_are_not_partner_tokens(
    client: httpx.AsyncClient, partner
) -> None:
    registered, granted, _ = partner
    staff = await factories.user(Role.PRACTICE_ADMIN, granted)
    auth = basic(registered.client_id, registered.client_secret)
    answer = await client.post(
        "/oauth/introspect", data={"token": factories.access_token(staff)}, headers=auth
    )
    assert answer.json() == {"active": False}


async def test_form_encoding_is_required(client: httpx.AsyncClient, partner) -> None:
    registered, _, _ = partner
    response = await client.post(
        "/oauth/token",
        json={"grant_type": "client_credentials"},
        headers=basic(registered.client_id, registered.client_secret),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


# --- discovery (RFC 8414) and browser clients (CORS) ------------------------------------------

ISSUER = "https://crm.example.test"
BROWSER = "https://partner-app.example.test"


@asynccontextmanager
async def serve(settings: Settings) -> AsyncIterator[Starlette]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        yield app


async def test_discovery_document_drives_an_authlib_client(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, public_url=ISSUER)
    async with serve(settings) as app:
        registered, granted, _ = await register_partner()
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with AsyncOAuth2Client(
            registered.client_id,
            registered.client_secret,
            scope="practice:read schedule:read",
            transport=transport,
            base_url="http://testserver",
        ) as oauth:
            found = await oauth.request(
                "GET", "/.well-known/oauth-authorization-server", withhold_token=True
            )
            assert found.status_code == 200
            document = found.json()
            metadata = AuthorizationServerMetadata(document)
            for check in (
                metadata.validate_issuer,
                metadata.validate_token_endpoint,
                metadata.validate_scopes_supported,
                metadata.validate_grant_types_supported,
                metadata.validate_token_endpoint_auth_methods_supported,
                metadata.validate_revocation_endpoint,
                metadata.validate_introspection_endpoint,
            ):
                check()
            assert document["issuer"] == ISSUER
            assert document["grant_types_supported"] == ["client_credentials"]
            assert "schedule:read" in document["scopes_supported"]
            assert "audit:read" not in document["scopes_supported"]  # beyond any partner
            assert "billing:read" in document["scopes_supported"]  # with consent, per patient
            assert "billing:write" not in document["scopes_supported"]
            token_path = document["token_endpoint"].removeprefix(ISSUER)
            assert token_path == "/oauth/token"
            token = await oauth.fetch_token(token_path, grant_type="client_credentials")
            assert token["scope"] == "practice:read schedule:read"
            practices = await oauth.post("/graphql", json={"query": PRACTICES})
            assert practices.json() == {
                "data": {"practices": [{"id": str(granted.id)}]},
                "extensions": {"version": VERSION},
            }
            with pytest.raises(OAuthError) as refused:
                await oauth.fetch_token(
                    token_path, grant_type="client_credentials", scope="clinical:read"
                )
            assert refused.value.error == "invalid_scope"


async def test_discovery_issuer_defaults_to_the_request_origin(client: httpx.AsyncClient) -> None:
    document = (await client.get("/.well-known/oauth-authorization-server")).json()
    assert document["issuer"] == "http://testserver"
    assert document["introspection_endpoint"] == "http://testserver/oauth/introspect"


async def test_preflight_from_an_allowed_origin_is_answered(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, allowed_origins=BROWSER)
    async with serve(settings) as app:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options(
                "/graphql",
                headers={
                    "origin": BROWSER,
                    "access-control-request-method": "POST",
                    "access-control-request-headers": "authorization, content-type",
                },
            )
            assert preflight.status_code == 200
            assert preflight.headers["access-control-allow-origin"] == BROWSER
            assert "POST" in preflight.headers["access-control-allow-methods"]
            allowed = preflight.headers["access-control-allow-headers"].lower()
            assert "authorization" in allowed
            assert "content-type" in allowed
            assert "access-control-allow-credentials" not in preflight.headers

            answer = await http.post(
                "/graphql", json={"query": "{ ping }"}, headers={"origin": BROWSER}
            )
            assert answer.json() == {"data": {"ping": True}, "extensions": {"version": VERSION}}
            assert answer.headers["access-control-allow-origin"] == BROWSER
            assert "x-request-id" in answer.headers["access-control-expose-headers"].lower()


async def test_other_origins_get_no_cors_grant(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, allowed_origins=BROWSER)
    async with serve(settings) as app:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            preflight = await http.options(
                "/graphql",
                headers={
                    "origin": "https://evil.example.test",
                    "access-control-request-method": "POST",
                },
            )
            assert preflight.status_code == 400
            assert "access-control-allow-origin" not in preflight.headers
            answer = await http.post(
                "/graphql",
                json={"query": "{ ping }"},
                headers={"origin": "https://evil.example.test"},
            )
            assert "access-control-allow-origin" not in answer.headers
