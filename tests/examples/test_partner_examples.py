"""The partner examples of docs/partners.md run as a partner would run them, against a real
uvicorn: a registered partner app gets a token, reads today's board, subscribes from the board's
watermark and sees a booking made over HTTP by reception; run again with ``since``, it gets the
same event replayed. The Python example (gql, authlib) always runs; the Node one (graphql-ws)
runs where node is installed, and under CI installs its locked packages with ``npm ci`` first."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from db.models import ScheduleSettings
from services.auth import clients
from tests.graph.test_schedule_booking import BOOK, booking
from tests.graph.visibility_world import share_data
from tests.realtime.harness import Server, graphql
from tests.scheduling_fixtures import Diary, diary, iso

ROOT = Path(__file__).resolve().parents[2]
PYTHON_EXAMPLE = ROOT / "examples/python/partner_board.py"
JS_DIR = ROOT / "examples/js"
WAIT = 30.0  # seconds for one line: a loaded 2-core machine starts interpreters slowly
SCOPES = ["practice:read", "schedule:read", "patient:read"]


def under_ci() -> bool:
    return os.environ.get("CI") == "true"


def node_command() -> list[str]:
    """``node partner_board.mjs`` with its packages installed; CI installs them, never skips."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        if under_ci():
            pytest.fail("node and npm are needed for the JS example under CI")
        pytest.skip("node is not installed")
    if not (JS_DIR / "node_modules/graphql-ws").is_dir():
        if not under_ci():
            pytest.skip("run `npm ci` in examples/js to run the JS example")
        subprocess.run(  # noqa: S603 - a fixed command on this repository's lock file
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=JS_DIR,
            check=True,
            timeout=300,
        )
    return [node, str(JS_DIR / "partner_board.mjs")]


@pytest.fixture(params=["python", "js"])
def example(request: pytest.FixtureRequest) -> list[str]:
    if request.param == "python":
        return [sys.executable, str(PYTHON_EXAMPLE)]
    return node_command()


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


class Run:
    """One run of an example: its JSON lines, read one at a time with a timeout."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process

    async def line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        raw = await asyncio.wait_for(self.process.stdout.readline(), WAIT)
        if not raw:
            assert self.process.stderr is not None
            error = (await self.process.stderr.read()).decode()
            raise AssertionError(f"the example ended early: {error}")
        parsed: dict[str, Any] = json.loads(raw)
        return parsed

    async def finished(self) -> int:
        return await asyncio.wait_for(self.process.wait(), WAIT)


@asynccontextmanager
async def run(
    command: list[str], server: Server, app: clients.NewClient, *arguments: str
) -> AsyncIterator[Run]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(Path.home()),
        "AESCRM_CLIENT_ID": app.client_id,
        "AESCRM_CLIENT_SECRET": app.client_secret,
    }
    process = await asyncio.create_subprocess_exec(
        *command,
        "--url",
        server.http,
        *arguments,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    try:
        yield Run(process)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def book(server: Server, d: Diary, hour: int) -> str:
    body = await graphql(server, BOOK, booking(d, iso(d.at(0, hour))), d.token)
    assert "errors" not in body, body
    return str(body["data"]["bookAppointment"]["appointment"]["id"])


async def test_the_example_follows_the_board_and_resumes_with_since(
    example: list[str], server: Server, live_orm: None
) -> None:
    d = await diary()
    await ScheduleSettings.update_or_create(
        practice_id=d.practice.id, defaults={"allow_past_booking": True}
    )
    app = await clients.register(
        organization_id=d.practice.organization_id,
        name="Example partner",
        scopes=SCOPES,
        practice_ids=[d.practice.id],
    )

    async def staff(query: str, variables: dict[str, Any], token: str) -> Any:
        return await graphql(server, query, variables, token)

    await share_data(staff, d.token, d.patient.id, app.client_id)  # the patient agreed
    morning = await book(server, d, 9)
    practice = ["--practice", str(d.practice.id)]

    async with run(example, server, app, *practice, "--events", "1") as live:
        board = (await live.line())["board"]
        subscribed = (await live.line())["subscribed"]
        afternoon = await book(server, d, 14)
        event = (await live.line())["event"]
        assert await live.finished() == 0

    assert [a["id"] for a in board["appointments"]] == [morning]
    assert board["appointments"][0]["patient"] == {"id": str(d.patient.id)}
    assert subscribed == {"since": board["sequence"]}
    assert event["kind"] == "APPOINTMENT_BOOKED"
    assert event["appointmentId"] == afternoon
    assert event["appointment"]["patient"] == {"id": str(d.patient.id)}
    assert event["sequence"] > board["sequence"]

    # Resumed from the board's watermark: the booking it missed arrives first, replayed.
    since = str(board["sequence"])
    async with run(example, server, app, *practice, "--since", since, "--events", "1") as resumed:
        assert (await resumed.line()) == {"subscribed": {"since": board["sequence"]}}
        replayed = (await resumed.line())["event"]
        assert await resumed.finished() == 0
    assert replayed["sequence"] == event["sequence"]
    assert replayed["appointmentId"] == afternoon
