"""A suspended partner app's live subscription ends at the next event, over a real WebSocket
(closed 4403, as for any session no longer valid); after a resume its old token still cannot
open a socket (it predates the suspension) while a fresh one can, and a socket left open across
a suspension and a resume ends at the next event too."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from services.policy import Role
from tests import factories
from tests.graph.billing_support import gbp, issued_invoice
from tests.graph.test_account_live import BILLING_LIVE, TAKE
from tests.graph.visibility_world import partner_token, share_data
from tests.realtime.harness import Client, Server, graphql

SUSPEND = """mutation($input: SuspendPartnerClientInput!) {
  suspendPartnerClient(input: $input) { client { status } }
}"""
RESUME = """mutation($input: ResumePartnerClientInput!) {
  resumePartnerClient(input: $input) { client { status } }
}"""


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


def _subscribe(op: str) -> Any:
    return lambda pid: {
        "id": op,
        "type": "subscribe",
        "payload": {"query": BILLING_LIVE, "variables": {"practiceId": str(pid)}},
    }


async def _next_data(client: Client, wait: float) -> list[dict[str, Any]]:
    """Every ``next`` payload that arrives within ``wait`` seconds."""
    heard: list[dict[str, Any]] = []
    try:
        while True:
            message = await client.recv(wait=wait)
            if message["type"] == "next" and message["payload"].get("data"):
                heard.append(message["payload"]["data"])
    except TimeoutError:
        return heard


async def test_suspension_silences_live_subscriptions_even_after_a_resume(
    server: Server, data: None
) -> None:
    practice = await factories.practice()
    patient = await factories.patient(practice)
    await issued_invoice(practice, patient, 10000)
    org_admin = factories.access_token(
        await factories.user(Role.ORG_ADMIN, org=await practice.organization)
    )
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        partner, bearer = await partner_token(http, practice.id, practice.organization_id)

    async def staff(query: str, values: dict[str, Any], token: str) -> Any:
        return await graphql(server, query, values, token)

    async def pay(amount: int) -> None:
        values = {"patientId": str(patient.id), "amount": gbp(amount), "method": "CASH"}
        paid = await graphql(server, TAKE, {"input": values}, desk)
        assert "errors" not in paid, paid

    await share_data(staff, admin, patient.id, partner.client_id)
    one = {"input": {"clientId": partner.client_id}}
    async with Client.connect(server, bearer) as app, Client.connect(server, desk) as board:
        await app.send(_subscribe("a")(practice.id))
        await board.send(_subscribe("d")(practice.id))
        await asyncio.sleep(0.5)
        await pay(100)
        assert len(await _next_data(app, 3)) == 1  # the control: it hears while active

        suspended = await graphql(server, SUSPEND, one, org_admin)
        assert "errors" not in suspended, suspended
        await pay(200)
        with pytest.raises(ConnectionClosed) as closed:
            await _next_data(app, 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
        desk_saw = await _next_data(board, 3)
    assert len(desk_saw) == 2  # the control: both payments happened

    resumed = await graphql(server, RESUME, one, org_admin)
    assert "errors" not in resumed, resumed
    with pytest.raises((AssertionError, ConnectionClosed)):  # no connection_ack for it
        async with Client.connect(server, bearer):
            pass
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        fresh = await http.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(partner.client_id, partner.client_secret),
        )
    async with Client.connect(server, fresh.json()["access_token"]) as again:
        await again.send(_subscribe("b")(practice.id))
        await asyncio.sleep(0.5)
        await pay(300)
        assert len(await _next_data(again, 3)) == 1
        # Suspended and resumed between two events: the socket's token is still from before.
        for document in (SUSPEND, RESUME):
            assert "errors" not in await graphql(server, document, one, org_admin)
        await pay(400)
        with pytest.raises(ConnectionClosed) as stale:
            await _next_data(again, 5)
        assert stale.value.rcvd is not None
        assert stale.value.rcvd.code == 4403
