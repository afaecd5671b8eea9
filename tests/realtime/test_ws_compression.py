"""Per-message deflate is negotiated only when ``AESCRM_WS_COMPRESSION`` asks for it: a client
offering it (as browsers and ``websockets`` do) gets plain frames by default, and compressed
frames that it reads back intact when the setting is on."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import SqliteTemplate
from tests.realtime.harness import Client, Server, announce, practice_with_desk, server_env


@pytest.fixture(scope="module", params=[False, True], ids=["default", "compression-on"])
def place_and_server(
    request: pytest.FixtureRequest,
    sqlite_template: SqliteTemplate,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, Path, Server, bool]]:
    url, var_dir = sqlite_template.fresh_url(), tmp_path_factory.mktemp("var")
    extra = {"AESCRM_WS_COMPRESSION": "true"} if request.param else {}
    server = Server(server_env(url, var_dir, **extra)).start()
    yield url, var_dir, server, request.param
    server.stop()


async def test_deflate_is_negotiated_only_when_enabled(
    place_and_server: tuple[str, Path, Server, bool],
) -> None:
    url, var_dir, server, enabled = place_and_server
    async with (
        practice_with_desk(url, var_dir) as (practice, admin, desk),
        Client.connect(server, desk) as client,
    ):
        offered, response = client.connection.request, client.connection.response
        assert offered is not None
        assert response is not None
        assert "permessage-deflate" in offered.headers.get("Sec-WebSocket-Extensions", "")
        negotiated = response.headers.get("Sec-WebSocket-Extensions", "")
        assert ("permessage-deflate" in negotiated) is enabled
        await client.subscribe("board", practice.id)
        message = "Compressed or not, the same words " * 12
        sequence = await announce(server, admin, practice.id, message)
        [event] = await client.events(1)
    assert event["sequence"] == sequence
    assert event["kind"] == "NOTICE"
    assert event["notice"]["message"] == message.strip()
