"""The legacy ``graphql-ws`` subprotocol end to end (AESCRM_LEGACY_GRAPHQL_WS=true): a real
server started as production starts it, and a real client speaking the old message types."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate
from tests.realtime.harness import BOARD, ORIGIN, Server, announce, orm, server_env

LEGACY = "graphql-ws"


@pytest.fixture(scope="module")
def place(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def server(place: tuple[str, Path]) -> Iterator[Server]:
    running = Server(server_env(*place, AESCRM_LEGACY_GRAPHQL_WS="true")).start()
    yield running
    running.stop()


@pytest.fixture
async def data(place: tuple[str, Path]) -> AsyncIterator[None]:
    async with orm(*place):
        yield


async def _send(connection: ClientConnection, message: dict[str, Any]) -> None:
    await connection.send(orjson.dumps(message).decode())


async def _recv(connection: ClientConnection, wait: float = 5) -> dict[str, Any]:
    """The next message other than the protocol's keep-alive ``ka``."""
    while True:
        message: dict[str, Any] = orjson.loads(await asyncio.wait_for(connection.recv(), wait))
        if message.get("type") != "ka":
            return message


def _connect(server: Server) -> Any:
    return websockets.connect(server.ws, subprotocols=[LEGACY], origin=ORIGIN, open_timeout=5)  # type: ignore[list-item]


async def test_legacy_subscriber_receives_board_events(server: Server, data: None) -> None:
    # given a receptionist's board subscribed over graphql-ws
    practice = await factories.practice()
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    async with _connect(server) as connection:
        assert connection.subprotocol == LEGACY
        await _send(
            connection, {"type": "connection_init", "payload": {"authorization": f"Bearer {desk}"}}
        )
        assert (await _recv(connection))["type"] == "connection_ack"
        variables = {"practiceId": str(practice.id)}
        await _send(
            connection,
            {"type": "start", "id": "1", "payload": {"query": BOARD, "variables": variables}},
        )
        await asyncio.sleep(0.5)  # the subscription registers with the practice's feed
        # when an admin posts two notices
        first = await announce(server, admin, practice.id, "Fire drill at noon")
        second = await announce(server, admin, practice.id, "Lift out of order")
        # then both arrive as legacy ``data`` messages, in order, with the operation's id
        received = [await _recv(connection), await _recv(connection)]
    assert [m["type"] for m in received] == ["data", "data"]
    assert [m["id"] for m in received] == ["1", "1"]
    events = [m["payload"]["data"]["scheduleChanged"] for m in received]
    assert [e["sequence"] for e in events] == [first, second]
    assert events[0]["kind"] == "NOTICE"
    assert events[0]["notice"] == {"message": "Fire drill at noon", "severity": "INFO"}


@pytest.mark.parametrize("payload", [{}, {"authorization": "Bearer not-a-token"}])
async def test_legacy_connection_without_a_valid_token_is_refused(
    server: Server, data: None, payload: dict[str, str]
) -> None:
    # given a client that offers no token, or a forged one
    practice = await factories.practice()
    async with _connect(server) as connection:
        await _send(connection, {"type": "connection_init", "payload": payload})
        # then the server answers connection_error and closes; a start is never honoured
        refused = await _recv(connection)
        assert refused["type"] == "connection_error"
        variables = {"practiceId": str(practice.id)}
        with contextlib.suppress(websockets.ConnectionClosed):  # may already be closed
            await _send(
                connection,
                {"type": "start", "id": "1", "payload": {"query": BOARD, "variables": variables}},
            )
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _recv(connection)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1011


@pytest.mark.parametrize(
    "message",
    [
        "null",
        "[]",
        '{"type": "start", "id": {"a": 1}, "payload": {"query": "{ ping }"}}',
        '{"type": "start", "id": "1", "payload": 1}',
        '{"type": "start", "id": "1", "payload": {"query": "{ ping }", "variables": "x"}}',
    ],
    ids=["null", "array", "id-not-string", "payload-not-object", "variables-not-object"],
)
async def test_legacy_malformed_message_closes_4400(
    server: Server, data: None, message: str
) -> None:
    # given an acknowledged legacy connection
    practice = await factories.practice()
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
    async with _connect(server) as connection:
        await _send(
            connection, {"type": "connection_init", "payload": {"authorization": f"Bearer {desk}"}}
        )
        assert (await _recv(connection))["type"] == "connection_ack"
        # when a message that is not a well-formed object arrives
        await connection.send(message)
        # then the socket closes with 4400 (Strawberry's handler crashed with 1011)
        with pytest.raises(websockets.ConnectionClosed) as closed:
            await _recv(connection)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4400
