"""Real servers for real-time tests: uvicorn subprocesses and a graphql-transport-ws client."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import orjson
import redis
import websockets
from websockets.asyncio.client import ClientConnection

from db.config import close_database, open_database
from graph.settings import Settings, service_config
from services import runtime
from services.policy import Role
from tests import factories

ROOT = Path(__file__).resolve().parents[2]
SECRET = "realtime-tests-secret-key-0123456789abcdef"
PROTOCOL = "graphql-transport-ws"
ORIGIN = "https://board.example.test"

BOARD = """
subscription Board($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) {
    kind sequence practiceId notice { message severity }
  }
}"""
CLINICAL_BOARD = BOARD.replace("severity }", "severity clinicalDetail }")
ANNOUNCE = """
mutation Announce($input: AnnouncePracticeNoticeInput!) {
  announcePracticeNotice(input: $input) { sequence notice { id message } }
}"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# `make test` runs the real-time and board tests again with the engine shortcuts off.
ENGINE_SHORTCUTS = os.environ.get("AESCRM_TEST_ENGINE_SHORTCUTS", "true")


def server_env(
    database_url: str, var_dir: Path, bus: str = "memory://", **extra: str
) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env.update(
        AESCRM_DATABASE_URL=database_url,
        AESCRM_VAR_DIR=str(var_dir),
        AESCRM_SECRET_KEY=SECRET,
        AESCRM_BROADCAST_URL=bus,
        AESCRM_RATE_LIMIT_PER_MINUTE="100000",
        AESCRM_BUDGET_PARTNER_PER_MINUTE="10000000",
        AESCRM_BUDGET_FIRST_PARTY_PER_MINUTE="10000000",
        AESCRM_ALLOWED_ORIGINS=ORIGIN,
        AESCRM_RELAY_GRACE_SECONDS="0.3",
        AESCRM_RELAY_POLL_SECONDS="0.2",
        AESCRM_LOG_LEVEL="WARNING",
        AESCRM_ENGINE_SHORTCUTS=ENGINE_SHORTCUTS,
        AESCRM_JOBS_IN_PROCESS="false",
        # Servers of one database share a relay; another database's (a bench's) never does.
        AESCRM_RELAY_KEY_PREFIX=relay_key_prefix(database_url),
    )
    env.update(extra)
    return env


def relay_key_prefix(database_url: str) -> str:
    """The relay's Redis key prefix for servers of this database (see ``server_env``)."""
    return f"aescrm-test:{hashlib.sha256(database_url.encode()).hexdigest()[:16]}:relay:"


class Server:
    def __init__(self, env: dict[str, str], *, workers: int = 1, log: Path | None = None) -> None:
        self.env = env
        self.port = free_port()
        self.workers = workers
        self.log = log  # where the server's stderr (its JSON log lines) goes; inherited if None
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def http(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}/graphql"

    def start(self) -> Server:
        return self.launch().ready()

    def launch(self) -> Server:
        # Exactly how production starts (``aescrm serve``: same uvicorn options and protocol).
        command = [sys.executable, "-c", "from graph.cli import app; app()", "serve"]
        command += ["--host", "127.0.0.1", "--port", str(self.port)]
        if self.workers > 1:
            command += ["--workers", str(self.workers)]
        if self.log is None:
            self.process = subprocess.Popen(command, env=self.env, cwd=ROOT)  # noqa: S603 - our own argv
        else:
            with self.log.open("ab") as stderr:
                self.process = subprocess.Popen(  # noqa: S603 - our own argv
                    command, env=self.env, cwd=ROOT, stderr=stderr
                )
        return self

    def ready(self, timeout: float = 120) -> Server:  # a loaded 2-core box starts slowly
        assert self.process is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.http}/healthz", timeout=0.5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.stop(signal.SIGKILL)  # leave no process behind for the next test to trip over
        raise RuntimeError("server did not start")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 3) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class PrivateRedis:
    """A redis-server of the test's own on a free port, to stop and restart (never the shared)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        command = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        subprocess.run([*command, "--daemonize", "yes"], check=True, capture_output=True)  # noqa: S603
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                redis.Redis(port=self.port).ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("private redis did not start")

    def stop(self) -> None:
        with contextlib.suppress(redis.ConnectionError):  # shutting down drops the connection
            redis.Redis(port=self.port).shutdown(nosave=True)


@asynccontextmanager
async def orm(database_url: str, var_dir: Path) -> AsyncIterator[None]:
    """The test process's own ORM on the servers' database, with the same keys."""
    settings = Settings(database_url=database_url, secret_key=SECRET, var_dir=var_dir)
    runtime.configure(service_config(settings))
    await open_database(database_url)
    try:
        yield
    finally:
        await close_database()


@contextlib.contextmanager
def two_servers(env: dict[str, str], stop: int = signal.SIGTERM) -> Iterator[tuple[Server, Server]]:
    """Two servers on one database and bus, as two hosts run them; both stopped with ``stop``."""
    first, second = Server(env).launch(), Server(env).launch()
    try:
        first.ready()
        second.ready()
        yield first, second
    finally:
        first.stop(stop)
        second.stop(stop)


@asynccontextmanager
async def practice_with_desk(
    database_url: str, var_dir: Path
) -> AsyncIterator[tuple[Any, str, str]]:
    """A practice, an admin token (for changes) and a receptionist token (for the board)."""
    async with orm(database_url, var_dir):
        practice = await factories.practice()
        admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        yield practice, admin, desk


async def graphql(server: Server, query: str, variables: dict[str, Any], token: str) -> Any:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.post(
            f"{server.http}/graphql",
            json={"query": query, "variables": variables},
            headers={"authorization": f"Bearer {token}"},
        )
    return response.json()


async def announce(server: Server, token: str, practice_id: object, message: str) -> int:
    body = await graphql(
        server, ANNOUNCE, {"input": {"practiceId": str(practice_id), "message": message}}, token
    )
    assert "errors" not in body, body
    return int(body["data"]["announcePracticeNotice"]["sequence"])


class Client:
    def __init__(self, connection: ClientConnection) -> None:
        self.connection = connection

    @classmethod
    @asynccontextmanager
    async def connect(
        cls, server: Server, token: str | None = None, *, init: bool = True
    ) -> AsyncIterator[Client]:
        async with websockets.connect(
            server.ws,
            subprotocols=[PROTOCOL],
            origin=ORIGIN,
            open_timeout=5,  # type: ignore[list-item]
        ) as connection:
            client = cls(connection)
            if init:
                await client.send(
                    {"type": "connection_init", "payload": {"authorization": f"Bearer {token}"}}
                )
                assert (await client.recv())["type"] == "connection_ack"
            yield client

    async def send(self, message: dict[str, Any]) -> None:
        await self.connection.send(orjson.dumps(message).decode())

    async def recv(self, wait: float = 5) -> dict[str, Any]:
        while True:
            raw = await asyncio.wait_for(self.connection.recv(), wait)
            message: dict[str, Any] = orjson.loads(raw)
            if message.get("type") == "ping":
                await self.send({"type": "pong"})
                continue
            return message

    async def subscribe(
        self, op: str, practice_id: object, since: int | None = None, query: str = BOARD
    ) -> None:
        variables = {"practiceId": str(practice_id), "since": since}
        await self.send(
            {"id": op, "type": "subscribe", "payload": {"query": query, "variables": variables}}
        )

    async def events(self, count: int, wait: float = 8) -> list[dict[str, Any]]:
        """The next ``count`` board events (fails on anything else)."""
        found = []
        for _ in range(count):
            message = await self.recv(wait)
            assert message["type"] == "next", message
            assert "errors" not in message["payload"], message
            found.append(message["payload"]["data"]["scheduleChanged"])
        return found

    async def quiet(self, seconds: float = 0.6) -> bool:
        """True when nothing arrives for ``seconds``."""
        try:
            message = await self.recv(seconds)
        except TimeoutError:
            return True
        raise AssertionError(f"unexpected message {message}")

    async def close_code(self, wait: float = 5) -> int | None:
        try:
            while True:
                await asyncio.wait_for(self.connection.recv(), wait)
        except websockets.ConnectionClosed as closed:
            return closed.rcvd.code if closed.rcvd else None
