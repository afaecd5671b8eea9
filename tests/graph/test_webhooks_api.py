"""The webhook admin API: who may register endpoints, SSRF refusals, secrets, tenant isolation."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, PartnerWebhookEndpoint
from services.auth import clients
from services.policy import Role
from services.webhooks import secrets, targets
from tests import factories
from tests.factories import gql
from tests.graph.visibility_world import partner_token

REGISTER = """
mutation($input: RegisterWebhookEndpointInput!) {
  registerWebhookEndpoint(input: $input) {
    secret
    endpoint { id url eventTypes enabled partnerClientId organizationId }
  }
}"""
LIST = """
query($organizationId: ID!) { webhookEndpoints(organizationId: $organizationId) { id url } }"""
UPDATE = """
mutation($input: UpdateWebhookEndpointInput!) {
  updateWebhookEndpoint(input: $input) { endpoint { id url eventTypes enabled } }
}"""
ROTATE = """
mutation($input: RotateWebhookSecretInput!) {
  rotateWebhookSecret(input: $input) { secret endpoint { id } }
}"""
DELETE = """
mutation($input: DeleteWebhookEndpointInput!) {
  deleteWebhookEndpoint(input: $input) { deletedEndpointId }
}"""
DELIVERIES = """
query($endpointId: ID!) {
  webhookDeliveries(endpointId: $endpointId, first: 10) { edges { node { id status } } }
}"""
REPLAY = """
mutation($input: ReplayWebhookDeliveryInput!) {
  replayWebhookDelivery(input: $input) { delivery { id status } }
}"""

NAMES = {
    "hooks.partner.example": ["93.184.215.14"],
    "internal.partner.example": ["10.20.30.40"],
}


@pytest.fixture(autouse=True)
def dns() -> Iterator[None]:
    async def resolve(host: str, port: int) -> list[str]:
        return NAMES.get(host, [])

    targets.use_resolver(resolve)
    yield
    targets.use_resolver(None)


async def _org_with_partner(scopes: tuple[str, ...] = ("patient:read",)) -> dict[str, Any]:
    org = await factories.organization()
    practice = await factories.practice(org)
    partner = await clients.register(
        organization_id=org.id, name="Partner", scopes=list(scopes), practice_ids=[practice.id]
    )
    admin = await factories.user(Role.ORG_ADMIN, org=org)
    return {
        "org": org,
        "practice": practice,
        "client_id": partner.client_id,
        "partner_secret": partner.client_secret,
        "token": factories.access_token(admin),
    }


def _input(world: dict[str, Any], url: str = "https://hooks.partner.example/in", **extra: Any):
    return {
        "input": {
            "organizationId": str(world["org"].id),
            "partnerClientId": world["client_id"],
            "url": url,
            "eventTypes": ["PATIENT_UPDATED", "CONSENT_CHANGED"],
            **extra,
        }
    }


async def _register(client: httpx.AsyncClient, world: dict[str, Any]) -> dict[str, Any]:
    result = await gql(client, REGISTER, _input(world), token=world["token"])
    assert result.errors == []
    return dict(result.data["registerWebhookEndpoint"])


async def test_an_org_admin_registers_and_sees_the_secret_once(client: httpx.AsyncClient) -> None:
    world = await _org_with_partner()
    made = await _register(client, world)
    assert made["secret"].startswith("whsec_")
    endpoint = made["endpoint"]
    assert endpoint["partnerClientId"] == world["client_id"]
    assert endpoint["eventTypes"] == ["CONSENT_CHANGED", "PATIENT_UPDATED"]
    listed = await gql(client, LIST, {"organizationId": str(world["org"].id)}, token=world["token"])
    assert listed.data["webhookEndpoints"] == [{"id": endpoint["id"], "url": endpoint["url"]}]
    assert "whsec_" not in str(listed.body)
    row = await PartnerWebhookEndpoint.get(id=endpoint["id"])
    assert made["secret"][6:] not in row.secret  # encrypted at rest
    assert await AuditEvent.filter(action="REGISTER webhook endpoint").exists()

    rotated = await gql(
        client, ROTATE, {"input": {"endpointId": endpoint["id"]}}, token=world["token"]
    )
    new_secret = rotated.data["rotateWebhookSecret"]["secret"]
    assert new_secret != made["secret"]
    assert secrets.opened(await PartnerWebhookEndpoint.get(id=endpoint["id"])) == new_secret


SSRF_URLS = [
    "https://10.0.0.1/hook",
    "http://127.0.0.1:8080/hook",  # no loopback allowance by default
    "https://127.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://[::1]/hook",
    "https://[fd00:ec2::254]/hook",
    "https://internal.partner.example/hook",  # a name resolving to a private address
    "http://hooks.partner.example/hook",  # public, but not https
]


@pytest.mark.parametrize("url", SSRF_URLS)
async def test_ssrf_targets_are_refused_at_registration(
    client: httpx.AsyncClient, url: str
) -> None:
    world = await _org_with_partner()
    result = await gql(client, REGISTER, _input(world, url), token=world["token"])
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "url"
    assert await PartnerWebhookEndpoint.all().count() == 0
    made = await _register(client, world)
    changed = await gql(
        client,
        UPDATE,
        {"input": {"endpointId": made["endpoint"]["id"], "url": url}},
        token=world["token"],
    )
    assert changed.codes == ["BAD_USER_INPUT"]
    assert (await PartnerWebhookEndpoint.get(id=made["endpoint"]["id"])).url == made["endpoint"][
        "url"
    ]


async def test_event_types_need_the_partners_scopes(client: httpx.AsyncClient) -> None:
    world = await _org_with_partner(("patient:read",))
    result = await gql(
        client, REGISTER, _input(world, eventTypes=["PAYMENT_RECEIVED"]), token=world["token"]
    )
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == "eventTypes"
    empty = await gql(client, REGISTER, _input(world, eventTypes=[]), token=world["token"])
    assert empty.codes == ["BAD_USER_INPUT"]


@pytest.mark.parametrize("role", [Role.PRACTICE_ADMIN, Role.RECEPTIONIST, Role.DENTIST])
async def test_practice_staff_may_not_register(client: httpx.AsyncClient, role: Role) -> None:
    world = await _org_with_partner()
    staff = await factories.user(role, world["practice"])
    result = await gql(client, REGISTER, _input(world), token=factories.access_token(staff))
    assert result.codes == ["FORBIDDEN"]
    assert await PartnerWebhookEndpoint.all().count() == 0


async def test_a_partner_app_may_not_register_its_own(client: httpx.AsyncClient) -> None:
    world = await _org_with_partner()
    registered, token = await partner_token(client, world["practice"].id, world["org"].id)
    world["client_id"] = registered.client_id
    result = await gql(client, REGISTER, _input(world), token=token)
    assert result.codes == ["FORBIDDEN"]


async def test_another_orgs_endpoint_answers_like_a_random_id(client: httpx.AsyncClient) -> None:
    mine, theirs = await _org_with_partner(), await _org_with_partner()
    foreign = (await _register(client, theirs))["endpoint"]["id"]
    random = str(uuid.uuid4())
    calls = [
        (UPDATE, lambda i: {"input": {"endpointId": i, "enabled": False}}),
        (ROTATE, lambda i: {"input": {"endpointId": i}}),
        (DELETE, lambda i: {"input": {"endpointId": i}}),
        (DELIVERIES, lambda i: {"endpointId": i}),
        (REPLAY, lambda i: {"input": {"deliveryId": i}}),
    ]
    for document, variables in calls:
        a = await gql(client, document, variables(foreign), token=mine["token"])
        b = await gql(client, document, variables(random), token=mine["token"])
        assert a.codes == ["NOT_FOUND"]
        assert [(e["message"], e["path"]) for e in a.errors] == [
            (e["message"], e["path"]) for e in b.errors
        ]
    listed = await gql(client, LIST, {"organizationId": str(theirs["org"].id)}, token=mine["token"])
    assert listed.codes == ["NOT_FOUND"]
    still = await PartnerWebhookEndpoint.get(id=foreign)
    assert still.enabled


async def test_pause_and_re_enable_clears_failures(client: httpx.AsyncClient) -> None:
    world = await _org_with_partner()
    made = await _register(client, world)
    endpoint_id = made["endpoint"]["id"]
    await PartnerWebhookEndpoint.filter(id=endpoint_id).update(
        enabled=False, consecutive_failures=15, disabled_reason="FAILURES"
    )
    result = await gql(
        client,
        UPDATE,
        {"input": {"endpointId": endpoint_id, "enabled": True}},
        token=world["token"],
    )
    assert result.data["updateWebhookEndpoint"]["endpoint"]["enabled"] is True
    row = await PartnerWebhookEndpoint.get(id=endpoint_id)
    assert (row.consecutive_failures, row.disabled_reason) == (0, None)
    gone = await gql(client, DELETE, {"input": {"endpointId": endpoint_id}}, token=world["token"])
    assert gone.data["deleteWebhookEndpoint"]["deletedEndpointId"] == endpoint_id
    assert not await PartnerWebhookEndpoint.exists(id=endpoint_id)


LOG = """
query($endpointId: ID!, $after: String) {
  webhookDeliveries(endpointId: $endpointId, first: 1, after: $after) {
    edges { node { id eventType status attempts lastStatusCode
      attemptLog { attempt outcome statusCode durationMs responseExcerpt } } }
    pageInfo { hasNextPage endCursor }
  }
}"""


async def test_the_delivery_log_pages_newest_first_and_replays(client: httpx.AsyncClient) -> None:
    from datetime import UTC, datetime, timedelta

    from db.models import PartnerWebhookAttempt, PartnerWebhookDelivery

    world = await _org_with_partner()
    endpoint_id = (await _register(client, world))["endpoint"]["id"]
    now = datetime.now(UTC)
    made = [
        await PartnerWebhookDelivery.create(
            endpoint_id=endpoint_id,
            event_id=uuid.uuid4(),
            practice_id=world["practice"].id,
            sequence=n,
            event_type="patient.updated",
            status="FAILED",
            attempts=1,
            last_status_code=410,
            created_at=now + timedelta(seconds=n),
        )
        for n in (1, 2)
    ]
    old, new = made
    await PartnerWebhookAttempt.create(
        delivery_id=new.id,
        attempt=1,
        status_code=410,
        duration_ms=12,
        outcome="HTTP_ERROR",
        response_excerpt="gone",
    )
    first = await gql(client, LOG, {"endpointId": endpoint_id}, token=world["token"])
    page = first.data["webhookDeliveries"]
    assert [e["node"]["id"] for e in page["edges"]] == [str(new.id)]
    assert page["edges"][0]["node"]["attemptLog"] == [
        {
            "attempt": 1,
            "outcome": "HTTP_ERROR",
            "statusCode": 410,
            "durationMs": 12,
            "responseExcerpt": "gone",
        }
    ]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await gql(
        client,
        LOG,
        {"endpointId": endpoint_id, "after": page["pageInfo"]["endCursor"]},
        token=world["token"],
    )
    assert [e["node"]["id"] for e in second.data["webhookDeliveries"]["edges"]] == [str(old.id)]
    replayed = await gql(
        client, REPLAY, {"input": {"deliveryId": str(new.id)}}, token=world["token"]
    )
    assert replayed.data["replayWebhookDelivery"]["delivery"]["status"] == "PENDING"
