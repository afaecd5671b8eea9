"""Partner apps: client credentials, narrowed scopes, revocation and introspection."""

from __future__ import annotations

import base64

import httpx
import pytest

from services.auth import clients
from services.policy import Role
from tests import factories
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


async def test_scope_escalation_is_narrowed_away(client: httpx.AsyncClient, partner) -> None:
    registered, _, _ = partner
    response = await token_for(
        client, registered.client_id, registered.client_secret, "practice:read clinical:read"
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
