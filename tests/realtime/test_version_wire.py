"""The running release is visible on the wire of a real server (``aescrm serve``): in
``/healthz``, in an HTTP answer's ``extensions.version``, and in ``connection_ack``'s payload
once per WebSocket (subscription events stay as they are)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import websockets

from graph.release import VERSION
from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate
from tests.realtime.harness import ORIGIN, PROTOCOL, Server, orm, server_env


@pytest.fixture
def place(sqlite_template: SqliteTemplate, tmp_path: Path) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path / "var"


@pytest.fixture
def server(place: tuple[str, Path]) -> Iterator[Server]:
    running = Server(server_env(*place)).start()
    yield running
    running.stop()


@pytest.fixture
async def token(place: tuple[str, Path]) -> AsyncIterator[str]:
    async with orm(*place):
        practice = await factories.practice()
        yield factories.access_token(await factories.user(Role.RECEPTIONIST, practice))


async def test_health_answers_and_acknowledgements_name_the_version(
    server: Server, token: str
) -> None:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        assert (await http.get("/healthz")).json() == {"status": "ok", "version": VERSION}
        answer = await http.post("/graphql", json={"query": "{ ping }"})
        assert answer.json() == {"data": {"ping": True}, "extensions": {"version": VERSION}}
    async with websockets.connect(
        server.ws, subprotocols=[PROTOCOL], origin=ORIGIN, open_timeout=5
    ) as socket:
        init = {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
        await socket.send(orjson.dumps(init).decode())
        ack = orjson.loads(await socket.recv(decode=True))
        assert ack == {"type": "connection_ack", "payload": {"version": VERSION}}
