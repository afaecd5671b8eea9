"""WebSocket caps on a real server (``aescrm serve``): message size like the HTTP body cap (1009),
open sockets per principal and per client address (1013, Try Again Later)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path

import pytest
import websockets

from graph.socket_caps import ADDRESS_REASON, PRINCIPAL_REASON, TRY_AGAIN_LATER
from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate
from tests.realtime.harness import Client, Server, orm, server_env

MAX_BODY = 65536
PER_PRINCIPAL = 3
PER_ADDRESS = 6
MESSAGE_TOO_BIG = 1009


@pytest.fixture
def place(sqlite_template: SqliteTemplate, tmp_path: Path) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path / "var"


@pytest.fixture
def server(place: tuple[str, Path]) -> Iterator[Server]:
    env = server_env(
        *place,
        AESCRM_MAX_BODY_BYTES=str(MAX_BODY),
        AESCRM_MAX_SOCKETS_PER_PRINCIPAL=str(PER_PRINCIPAL),
        AESCRM_MAX_SOCKETS_PER_ADDRESS=str(PER_ADDRESS),
    )
    running = Server(env).start()
    yield running
    running.stop()


@pytest.fixture
async def staff_tokens(place: tuple[str, Path]) -> AsyncIterator[list[str]]:
    """Several tokens of one user, and one of a colleague last."""
    async with orm(*place):
        practice = await factories.practice()
        user = await factories.user(Role.RECEPTIONIST, practice)
        colleague = await factories.user(Role.DENTIST, practice)
        yield [factories.access_token(user) for _ in range(PER_PRINCIPAL + 2)] + [
            factories.access_token(colleague)
        ]


async def test_a_message_larger_than_the_body_cap_closes_the_socket_with_1009(
    server: Server, staff_tokens: list[str]
) -> None:
    async with Client.connect(server, staff_tokens[0]) as client:
        await client.send({"type": "ping", "payload": {"pad": "x" * (MAX_BODY // 2)}})
        assert (await client.recv())["type"] == "pong"  # under the cap: served
        await client.send({"type": "ping", "payload": {"pad": "x" * (MAX_BODY + 1)}})
        assert await client.close_code() == MESSAGE_TOO_BIG


async def test_sockets_per_principal_are_capped(server: Server, staff_tokens: list[str]) -> None:
    async with AsyncExitStack() as open_sockets:
        held = [
            await open_sockets.enter_async_context(Client.connect(server, token))
            for token in staff_tokens[:PER_PRINCIPAL]
        ]
        async with Client.connect(server, init=False) as extra:
            await extra.send(
                {
                    "type": "connection_init",
                    "payload": {"authorization": f"Bearer {staff_tokens[PER_PRINCIPAL]}"},
                }
            )
            assert await extra.close_code() == TRY_AGAIN_LATER
            assert extra.connection.close_reason == PRINCIPAL_REASON
        # Another user at the same address is not affected.
        async with Client.connect(server, staff_tokens[-1]) as colleague:
            await colleague.send({"type": "ping"})
            assert (await colleague.recv())["type"] == "pong"
        await held[0].connection.close()
        # The closed socket's place is free again (once the server has seen it go).
        for _ in range(50):
            async with Client.connect(server, init=False) as again:
                await again.send(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {staff_tokens[PER_PRINCIPAL + 1]}"},
                    }
                )
                with contextlib.suppress(websockets.ConnectionClosed):
                    if (await again.recv())["type"] == "connection_ack":
                        break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("a closed socket never freed its place")


async def test_sockets_per_address_are_capped_before_any_credential(server: Server) -> None:
    async with AsyncExitStack() as open_sockets:
        for _ in range(PER_ADDRESS):
            await open_sockets.enter_async_context(Client.connect(server, init=False))
        async with Client.connect(server, init=False) as extra:
            assert await extra.close_code() == TRY_AGAIN_LATER
            assert extra.connection.close_reason == ADDRESS_REASON
