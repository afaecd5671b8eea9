"""Organisation admins manage partner apps over GraphQL: register (secret once), list (never a
secret), rotate with a grace period, narrow, suspend / resume, delete; audited; isolated."""

from __future__ import annotations

import json
import warnings
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
import pytest
from authlib.deprecate import AuthlibDeprecationWarning

from db.models import AuditEvent, PartnerClient
from services.auth import clients
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql
from tests.graph.test_partner_oauth import basic, serve, token_for

with warnings.catch_warnings():
    warnings.simplefilter("ignore", AuthlibDeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError

CLIENT_FIELDS = "clientId name scopes practiceIds status previousSecretExpiresAt organizationId"
REGISTER = f"""
mutation($input: RegisterPartnerClientInput!) {{
  registerPartnerClient(input: $input) {{ clientSecret client {{ {CLIENT_FIELDS} }} }}
}}"""
LIST = f"""
query($organizationId: ID!) {{
  partnerClients(organizationId: $organizationId) {{ {CLIENT_FIELDS} }}
}}"""
ROTATE = f"""
mutation($input: RotatePartnerClientSecretInput!) {{
  rotatePartnerClientSecret(input: $input) {{ clientSecret client {{ {CLIENT_FIELDS} }} }}
}}"""
UPDATE = f"""
mutation($input: UpdatePartnerClientInput!) {{
  updatePartnerClient(input: $input) {{ client {{ {CLIENT_FIELDS} }} }}
}}"""
SUSPEND = """
mutation($input: SuspendPartnerClientInput!) {
  suspendPartnerClient(input: $input) { client { status } }
}"""
RESUME = """
mutation($input: ResumePartnerClientInput!) {
  resumePartnerClient(input: $input) { client { status } }
}"""
DELETE = """
mutation($input: DeletePartnerClientInput!) {
  deletePartnerClient(input: $input) { deletedClientId }
}"""
PRACTICES = "{ practices { id } }"
SCHEDULE = """
query($practiceId: ID!) {
  schedule(practiceId: $practiceId, from: "2030-01-15T00:00:00Z", to: "2030-01-16T00:00:00Z") {
    appointments { id }
  }
}"""


async def _world() -> dict[str, Any]:
    org = await factories.organization()
    first = await factories.practice(org, name="First")
    second = await factories.practice(org, name="Second")
    admin = await factories.user(Role.ORG_ADMIN, org=org)
    return {
        "org": org,
        "first": first,
        "second": second,
        "token": factories.access_token(admin),
    }


async def _register(
    http: httpx.AsyncClient,
    world: dict[str, Any],
    scopes: tuple[str, ...] = ("PRACTICE_READ", "SCHEDULE_READ"),
    practices: tuple[str, ...] = ("first", "second"),
) -> dict[str, Any]:
    variables = {
        "input": {
            "organizationId": str(world["org"].id),
            "name": "Recall SMS",
            "scopes": list(scopes),
            "practiceIds": [str(world[p].id) for p in practices],
        }
    }
    result = await gql(http, REGISTER, variables, token=world["token"])
    assert result.errors == [], result.errors
    return dict(result.data["registerPartnerClient"])


async def _access_token(http: httpx.AsyncClient, client_id: str, secret: str) -> str:
    issued = await token_for(http, client_id, secret)
    assert issued.status_code == 200, issued.text
    return str(issued.json()["access_token"])


def _one(client_id: str, **fields: Any) -> dict[str, Any]:
    return {"input": {"clientId": client_id, **fields}}


async def test_registered_client_gets_tokens_through_authlib_and_its_secret_is_shown_once(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    async with serve(settings) as app:
        transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            world = await _world()
            made = await _register(http, world, practices=("first",))
            client_id, secret = made["client"]["clientId"], made["clientSecret"]
            assert made["client"]["scopes"] == ["PRACTICE_READ", "SCHEDULE_READ"]
            assert made["client"]["status"] == "ACTIVE"
            assert made["client"]["practiceIds"] == [str(world["first"].id)]

            listed = await gql(
                http, LIST, {"organizationId": str(world["org"].id)}, token=world["token"]
            )
            assert [c["clientId"] for c in listed.data["partnerClients"]] == [client_id]
            assert secret not in json.dumps(listed.body)
            row = await PartnerClient.get(client_id=client_id)
            assert secret not in row.secret_hash
            assert row.secret_hash.startswith("$argon2")

            async with AsyncOAuth2Client(
                client_id, secret, transport=transport, base_url="http://testserver"
            ) as oauth:
                token = await oauth.fetch_token("/oauth/token", grant_type="client_credentials")
                assert token["scope"] == "practice:read schedule:read"
                practices = await oauth.post("/graphql", json={"query": PRACTICES})
                assert practices.json()["data"] == {"practices": [{"id": str(world["first"].id)}]}
            async with AsyncOAuth2Client(
                client_id, "not-the-secret", transport=transport, base_url="http://testserver"
            ) as wrong:
                with pytest.raises(OAuthError) as refused:
                    await wrong.fetch_token("/oauth/token", grant_type="client_credentials")
                assert refused.value.error == "invalid_client"


async def test_rotation_keeps_the_old_secret_for_the_grace_period_only(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id, old = made["client"]["clientId"], made["clientSecret"]
    rotated = await gql(client, ROTATE, _one(client_id, graceMinutes=30), token=world["token"])
    assert rotated.errors == []
    new = rotated.data["rotatePartnerClientSecret"]["clientSecret"]
    assert new != old
    ends = datetime.fromisoformat(
        rotated.data["rotatePartnerClientSecret"]["client"]["previousSecretExpiresAt"]
    )
    assert timedelta(minutes=29) < ends - datetime.now(UTC) <= timedelta(minutes=30)

    assert (await token_for(client, client_id, old)).status_code == 200
    assert (await token_for(client, client_id, new)).status_code == 200

    later = datetime.now(UTC) + timedelta(minutes=31)
    monkeypatch.setattr(clients, "clock", lambda: later)
    refused = await token_for(client, client_id, old)
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert (await token_for(client, client_id, new)).status_code == 200
    listed = await gql(client, LIST, {"organizationId": str(world["org"].id)}, token=world["token"])
    assert listed.data["partnerClients"][0]["previousSecretExpiresAt"] is None

    # No grace: the secret being replaced stops at once.
    again = await gql(client, ROTATE, _one(client_id, graceMinutes=0), token=world["token"])
    newest = again.data["rotatePartnerClientSecret"]["clientSecret"]
    assert (await token_for(client, client_id, new)).status_code == 401
    assert (await token_for(client, client_id, newest)).status_code == 200

    too_long = await gql(client, ROTATE, _one(client_id, graceMinutes=-1), token=world["token"])
    assert too_long.codes == ["BAD_USER_INPUT"]
    assert too_long.errors[0]["extensions"]["field"] == "graceMinutes"


async def test_narrowing_shrinks_tokens_already_issued(client: httpx.AsyncClient) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id, secret = made["client"]["clientId"], made["clientSecret"]
    token = await _access_token(client, client_id, secret)
    first = {"practiceId": str(world["first"].id)}
    before = await gql(client, SCHEDULE, first, token=token)
    assert before.errors == []
    assert before.data["schedule"] is not None

    narrowed = await gql(
        client,
        UPDATE,
        _one(client_id, scopes=["PRACTICE_READ"], practiceIds=[str(world["first"].id)]),
        token=world["token"],
    )
    assert narrowed.errors == []
    assert narrowed.data["updatePartnerClient"]["client"]["scopes"] == ["PRACTICE_READ"]

    after = await gql(client, SCHEDULE, first, token=token)
    assert after.data == {"schedule": None}
    assert after.codes == ["FORBIDDEN"]
    practices = await gql(client, PRACTICES, token=token)
    assert practices.data == {"practices": [{"id": str(world["first"].id)}]}
    introspected = await client.post(
        "/oauth/introspect", data={"token": token}, headers=basic(client_id, secret)
    )
    assert introspected.json()["scope"] == "practice:read"
    fresh = await token_for(client, client_id, secret)
    assert fresh.json()["scope"] == "practice:read"

    # Narrowing only: widening again, or a scope no partner may hold, is bad input.
    for scopes in (["PRACTICE_READ", "SCHEDULE_READ"], ["AUDIT_READ"]):
        wider = await gql(client, UPDATE, _one(client_id, scopes=scopes), token=world["token"])
        assert wider.codes == ["BAD_USER_INPUT"]
        assert wider.errors[0]["extensions"]["field"] == "scopes"
    more = await gql(
        client,
        UPDATE,
        _one(client_id, practiceIds=[str(world["first"].id), str(world["second"].id)]),
        token=world["token"],
    )
    assert more.codes == ["BAD_USER_INPUT"]
    other_org = await factories.practice()
    foreign = await gql(
        client, UPDATE, _one(client_id, practiceIds=[str(other_org.id)]), token=world["token"]
    )
    assert foreign.codes == ["NOT_FOUND"]


async def test_suspension_stops_issued_tokens_at_once_and_for_good(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id, secret = made["client"]["clientId"], made["clientSecret"]
    token = await _access_token(client, client_id, secret)
    assert (await gql(client, PRACTICES, token=token)).errors == []

    suspended = await gql(client, SUSPEND, _one(client_id), token=world["token"])
    assert suspended.data["suspendPartnerClient"]["client"]["status"] == "SUSPENDED"
    refused = await client.post(
        "/graphql", json={"query": PRACTICES}, headers={"authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert (await token_for(client, client_id, secret)).json()["error"] == "invalid_client"

    resumed = await gql(client, RESUME, _one(client_id), token=world["token"])
    assert resumed.data["resumePartnerClient"]["client"]["status"] == "ACTIVE"
    stale = await client.post(
        "/graphql", json={"query": PRACTICES}, headers={"authorization": f"Bearer {token}"}
    )
    assert stale.status_code == 401  # issued before the suspension: dead for good
    fresh = await _access_token(client, client_id, secret)
    assert (await gql(client, PRACTICES, token=fresh)).errors == []
    stale_introspected = await client.post(
        "/oauth/introspect", data={"token": token}, headers=basic(client_id, secret)
    )
    assert stale_introspected.json() == {"active": False}


async def test_deletion_ends_the_client_and_its_tokens(client: httpx.AsyncClient) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id, secret = made["client"]["clientId"], made["clientSecret"]
    token = await _access_token(client, client_id, secret)

    deleted = await gql(client, DELETE, _one(client_id), token=world["token"])
    assert deleted.data == {"deletePartnerClient": {"deletedClientId": client_id}}
    refused = await client.post(
        "/graphql", json={"query": PRACTICES}, headers={"authorization": f"Bearer {token}"}
    )
    assert refused.status_code == 401
    assert (await token_for(client, client_id, secret)).json()["error"] == "invalid_client"
    listed = await gql(client, LIST, {"organizationId": str(world["org"].id)}, token=world["token"])
    assert listed.data == {"partnerClients": []}
    for document, variables in (
        (RESUME, _one(client_id)),
        (ROTATE, _one(client_id, graceMinutes=5)),
        (DELETE, _one(client_id)),
    ):
        again = await gql(client, document, variables, token=world["token"])
        assert again.codes == ["NOT_FOUND"]


async def test_every_change_is_audited_once_and_never_with_a_secret(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id, first_secret = made["client"]["clientId"], made["clientSecret"]
    rotated = await gql(client, ROTATE, _one(client_id, graceMinutes=10), token=world["token"])
    second_secret = rotated.data["rotatePartnerClientSecret"]["clientSecret"]
    hashed = await PartnerClient.get(client_id=client_id)
    hashes = (hashed.secret_hash, hashed.previous_secret_hash)
    await gql(client, UPDATE, _one(client_id, scopes=["PRACTICE_READ"]), token=world["token"])
    unchanged = await gql(
        client, UPDATE, _one(client_id, scopes=["PRACTICE_READ"]), token=world["token"]
    )
    assert unchanged.errors == []  # a change to nothing writes no audit row
    await gql(client, SUSPEND, _one(client_id), token=world["token"])
    await gql(client, SUSPEND, _one(client_id), token=world["token"])  # already: no change
    await gql(client, RESUME, _one(client_id), token=world["token"])
    await gql(client, DELETE, _one(client_id), token=world["token"])

    rows = await AuditEvent.filter(entity_type="PartnerClient", entity_id=client_id).order_by("seq")
    assert [r.action for r in rows] == [
        "PARTNER_CLIENT_CREATED",
        "PARTNER_CLIENT_SECRET_ROTATED",
        "PARTNER_CLIENT_UPDATED",
        "PARTNER_CLIENT_SUSPENDED",
        "PARTNER_CLIENT_RESUMED",
        "PARTNER_CLIENT_DELETED",
    ]
    assert {r.chain for r in rows} == {str(world["org"].id)}  # the organisation's audit chain
    assert all(r.actor_user_id is not None for r in rows)
    everything = json.dumps(await AuditEvent.all().values(), default=str)  # every row, column
    for secret in (first_secret, second_secret, *hashes):
        assert secret is not None
        assert secret not in everything


async def test_another_organisation_sees_not_found_exactly_like_a_random_id(
    client: httpx.AsyncClient,
) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id = made["client"]["clientId"]
    intruder = await _world()
    random_id = f"pc_{uuid4().hex[:24]}"
    for document, fields in (
        (ROTATE, {"graceMinutes": 5}),
        (UPDATE, {"scopes": ["PRACTICE_READ"]}),
        (SUSPEND, {}),
        (RESUME, {}),
        (DELETE, {}),
    ):
        foreign = await gql(client, document, _one(client_id, **fields), token=intruder["token"])
        unknown = await gql(client, document, _one(random_id, **fields), token=intruder["token"])
        assert foreign.codes == ["NOT_FOUND"]
        assert foreign.body == unknown.body
    org_of_other = await gql(
        client, LIST, {"organizationId": str(world["org"].id)}, token=intruder["token"]
    )
    org_random = await gql(client, LIST, {"organizationId": str(uuid4())}, token=intruder["token"])
    assert org_of_other.codes == ["NOT_FOUND"]
    assert org_of_other.body == org_random.body
    row = await PartnerClient.get(client_id=client_id)
    assert row.is_active
    assert row.deleted_at is None
    assert row.scopes == [
        "practice:read",
        "schedule:read",
    ]


async def test_registration_input_is_checked(client: httpx.AsyncClient) -> None:
    world = await _world()
    base = {
        "organizationId": str(world["org"].id),
        "name": "App",
        "scopes": ["PRACTICE_READ"],
        "practiceIds": [str(world["first"].id)],
    }
    beyond = await gql(
        client, REGISTER, {"input": {**base, "scopes": ["AUDIT_READ"]}}, token=world["token"]
    )
    assert beyond.codes == ["BAD_USER_INPUT"]
    assert beyond.errors[0]["extensions"]["field"] == "scopes"
    admin_scope = await gql(
        client, REGISTER, {"input": {**base, "scopes": ["PARTNER_ADMIN"]}}, token=world["token"]
    )
    assert admin_scope.codes == ["BAD_USER_INPUT"]
    empty = await gql(client, REGISTER, {"input": {**base, "scopes": []}}, token=world["token"])
    assert empty.codes == ["BAD_USER_INPUT"]
    other_practice = await factories.practice()
    foreign = await gql(
        client,
        REGISTER,
        {"input": {**base, "practiceIds": [str(other_practice.id)]}},
        token=world["token"],
    )
    assert foreign.codes == ["NOT_FOUND"]
    assert await PartnerClient.filter(organization_id=world["org"].id).count() == 0


@pytest.mark.parametrize(
    "role", [Role.PRACTICE_ADMIN, Role.RECEPTIONIST, Role.DENTIST], ids=lambda r: r.value
)
async def test_practice_level_roles_and_partners_are_forbidden(
    client: httpx.AsyncClient, role: Role
) -> None:
    world = await _world()
    made = await _register(client, world)
    client_id = made["client"]["clientId"]
    staff = await factories.user(role, world["first"])
    partner = await _access_token(client, client_id, made["clientSecret"])
    for token in (factories.access_token(staff), partner):
        listed = await gql(client, LIST, {"organizationId": str(world["org"].id)}, token=token)
        assert listed.codes == ["FORBIDDEN"]
        suspended = await gql(client, SUSPEND, _one(client_id), token=token)
        assert suspended.codes == ["FORBIDDEN"]
    assert (await PartnerClient.get(client_id=client_id)).is_active
