"""Malformed bytes and messages against a real uvicorn server (issue 11 item 4, issue 12 item 9).

HTTP: bodies that are not JSON objects, invalid UTF-8 and 100,000-deep nesting are 400 JSON
errors with a code, the request id and ``no-store``. WebSocket (graphql-transport-ws): a
message that is not a well-formed object closes the socket with 4400 as the protocol says;
a subscribe whose variables fail coercion or carry a lone surrogate / NUL gets an ``error``
message (BAD_USER_INPUT naming the field) and the socket keeps serving. In every case the
server's own log (JSON on stderr) holds no error line and no traceback.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from services.policy import Role
from tests import factories
from tests.databases import SqliteTemplate
from tests.graph.test_string_inputs import BAD, document, positions
from tests.realtime.harness import BOARD, ROOT, Client, Server, orm, server_env


class LoggedServer(Server):
    """The harness's server, its stderr (the JSON log) kept in a file to read back."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        super().__init__(env)
        self.log = log

    def launch(self) -> LoggedServer:
        command = [sys.executable, "-c", "from graph.cli import app; app()", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        with self.log.open("wb") as sink:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT, stderr=sink)  # noqa: S603
        return self

    def crash_lines(self) -> list[str]:
        lines = self.log.read_text(errors="replace").splitlines()
        return [line for line in lines if '"ERROR"' in line or "Traceback" in line]


@pytest.fixture(scope="module")
def place(
    sqlite_template: SqliteTemplate, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    return sqlite_template.fresh_url(), tmp_path_factory.mktemp("var")


@pytest.fixture(scope="module")
def server(place: tuple[str, Path]) -> Iterator[LoggedServer]:
    url, var_dir = place
    running = LoggedServer(server_env(url, var_dir), var_dir / "server.log").start()
    yield running
    running.stop()


@pytest.fixture
async def token(place: tuple[str, Path]) -> AsyncIterator[str]:
    async with orm(*place):
        practice = await factories.practice()
        yield factories.access_token(await factories.user(Role.RECEPTIONIST, practice))


@pytest.fixture
def no_crash(server: LoggedServer) -> Iterator[None]:
    yield
    assert server.crash_lines() == []


# --- HTTP ------------------------------------------------------------------------------------

DEEP = b'{"query": "{ ping }", "variables": {"v": ' + b"[" * 100_000 + b"]" * 100_000 + b"}}"


@pytest.mark.parametrize(
    "body",
    [b"null", b"1", b'"x"', b"\xff\xfe\xfd", b'{"query": "{ ping }\xc3"}', DEEP],
    ids=["null", "number", "string", "bad-utf8", "bad-utf8-in-string", "deep"],
)
async def test_malformed_http_bodies_are_400_json_with_request_id(
    server: LoggedServer, no_crash: None, body: bytes
) -> None:
    async with httpx.AsyncClient(base_url=server.http, timeout=10) as http:
        response = await http.post(
            "/graphql", content=body, headers={"content-type": "application/json"}
        )
        assert response.status_code == 400
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["cache-control"] == "no-store"
        [error] = response.json()["errors"]
        assert error["extensions"]["code"] == "BAD_REQUEST"
        assert error["extensions"]["requestId"] == response.headers["x-request-id"]
        assert (await http.post("/graphql", json={"query": "{ ping }"})).status_code == 200


# --- WebSocket -------------------------------------------------------------------------------

SUBSCRIBE = {"id": "1", "type": "subscribe"}


@pytest.mark.parametrize(
    "message",
    [
        "null",
        "1",
        '"x"',
        "[]",
        '{"type": 1}',
        json.dumps({**SUBSCRIBE, "id": {"a": 1}, "payload": {"query": BOARD}}),
        json.dumps({**SUBSCRIBE, "payload": 1}),
        json.dumps({**SUBSCRIBE, "payload": {"query": 1}}),
        json.dumps({**SUBSCRIBE, "payload": {"query": BOARD, "variables": "x"}}),
        json.dumps({**SUBSCRIBE, "payload": {"query": BOARD, "operationName": 1}}),
        '{"type": "ping", "payload": ' + "[" * 5_000 + "]" * 5_000 + "}",
    ],
    ids=[
        "null",
        "number",
        "string",
        "array",
        "type-not-string",
        "id-not-string",
        "payload-not-object",
        "query-not-string",
        "variables-not-object",
        "operation-name-not-string",
        "nested-5000-deep",
    ],
)
async def test_malformed_ws_messages_close_4400(
    server: LoggedServer, token: str, no_crash: None, message: str
) -> None:
    async with Client.connect(server, token) as client:
        await client.connection.send(message)
        assert await client.close_code() == 4400


def _subscribe(query: str, variables: dict[str, object]) -> str:
    """A subscribe message, lone surrogates escaped as JSON allows."""
    payload = {"query": query, "variables": variables}
    return json.dumps({**SUBSCRIBE, "payload": payload}, ensure_ascii=True)


async def _refused(client: Client, message: str) -> dict[str, object]:
    await client.connection.send(message)
    answer = await client.recv()
    assert answer["type"] == "error", answer
    assert answer["id"] == "1"
    [error] = answer["payload"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    await client.send({"type": "ping"})  # the socket keeps serving
    assert (await client.recv())["type"] == "pong"
    return dict(error)


async def test_subscribe_with_variables_that_fail_coercion_is_bad_user_input(
    server: LoggedServer, token: str, no_crash: None
) -> None:
    async with Client.connect(server, token) as client:
        error = await _refused(client, _subscribe(BOARD, {"since": 1}))
        assert error["extensions"]["field"] == "practiceId"
        assert "a value is required" in str(error["message"])


@pytest.mark.parametrize("kind", list(BAD))
async def test_every_subscription_string_argument_refuses_surrogates_and_nul(
    server: LoggedServer, token: str, no_crash: None, kind: str
) -> None:
    found = positions(("subscription",))
    assert {str(p) for p in found} >= {"scheduleChanged(practiceId)", "consentChanged(patientId)"}
    async with Client.connect(server, token) as client:
        for position in found:
            query, variables = document(position, BAD[kind], literal=False)
            error = await _refused(client, _subscribe(query, variables))
            assert error["extensions"]["field"] == position.expected_field, position
