"""Trusted documents over a real WebSocket (graphql-transport-ws, real uvicorn): a trusted-only
partner app's ad-hoc subscribe is refused with an ``error`` message and runs nothing; an
unknown id likewise; its registered subscription (named by ``documentId`` or Apollo APQ, with
variables) runs and hears live events; a registered query runs and completes; a removed
document is refused on a socket opened before the removal."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from services.policy import Role
from services.trusted_documents.ids import document_id_of
from tests import factories
from tests.factories import gql
from tests.graph.trusted_documents_support import (
    REMOVE_DOCUMENTS,
    SCHEDULE,
    World,
    apq,
    partner_app,
    register,
)
from tests.realtime.harness import BOARD, Client, Server, announce


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


def _subscribe(op: str, **payload: Any) -> dict[str, Any]:
    return {"id": op, "type": "subscribe", "payload": payload}


async def _error_code(client: Client, op: str) -> str:
    message = await client.recv()
    assert message["type"] == "error", message
    assert message["id"] == op
    return str(message["payload"][0]["extensions"]["code"])


async def test_trusted_only_app_over_websocket(server: Server, data: None) -> None:
    org = await factories.organization()
    practice = await factories.practice(org)
    w = World(org, practice, factories.access_token(await factories.user(Role.ORG_ADMIN, org=org)))
    desk = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    board = {"practiceId": str(practice.id)}
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        app = await partner_app(http, w, trusted_only=True)
        assert (await register(http, w, app.client_id, BOARD, SCHEDULE)).errors == []

    async with Client.connect(server, app.token) as socket:
        await socket.send(_subscribe("ad-hoc", query=BOARD, variables=board))
        assert await _error_code(socket, "ad-hoc") == "TRUSTED_DOCUMENT_REQUIRED"
        unknown = document_id_of(BOARD + " ")
        await socket.send(_subscribe("unknown", documentId=unknown, variables=board))
        assert await _error_code(socket, "unknown") == "PERSISTED_DOCUMENT_NOT_FOUND"
        await announce(server, desk, practice.id, "first")
        assert await socket.quiet(1.0)  # neither refused subscription runs

        await socket.send(_subscribe("live", documentId=document_id_of(BOARD), variables=board))
        await socket.send(_subscribe("apq", extensions=apq(BOARD), variables=board))
        assert await socket.quiet(0.6)  # accepted: no error
        await announce(server, desk, practice.id, "second")
        heard = {}
        for _ in range(2):
            message = await socket.recv(8)
            assert message["type"] == "next", message
            heard[message["id"]] = message["payload"]["data"]["scheduleChanged"]["notice"]
        assert heard == {op: {"message": "second", "severity": "INFO"} for op in ("live", "apq")}

        await socket.send(_subscribe("day", documentId=document_id_of(SCHEDULE), variables=board))
        answered = await socket.recv()
        assert answered == {
            "id": "day",
            "type": "next",
            "payload": {"data": {"schedule": {"appointments": []}}},
        }
        assert (await socket.recv()) == {"id": "day", "type": "complete"}

        async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
            removed = await gql(
                http,
                REMOVE_DOCUMENTS,
                {"input": {"clientId": app.client_id, "documentIds": [document_id_of(BOARD)]}},
                token=w.admin,
            )
        assert removed.errors == [], removed.errors
        await socket.send(_subscribe("again", documentId=document_id_of(BOARD), variables=board))
        assert await _error_code(socket, "again") == "PERSISTED_DOCUMENT_NOT_FOUND"
