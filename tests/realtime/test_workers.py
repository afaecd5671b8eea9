"""``aescrm serve --workers 2`` on PostgreSQL and a Redis of the test's own, as an operator runs
it: every process logs JSON lines with request ids; a Redis outage is one "bus down"/"bus up"
pair per worker, readiness says degraded without failing, and boards keep moving meanwhile; a
worker stopped with SIGTERM answers every request it has begun, including ones only half
received or sent on an idle keep-alive connection at that moment."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import pytest

from db.models.outbox import DomainEvent
from services.policy import Role
from tests import factories
from tests.databases import PostgresDatabase
from tests.realtime.harness import (
    ANNOUNCE,
    Client,
    PrivateRedis,
    Server,
    announce,
    graphql,
    orm,
    server_env,
)

WORKERS = 2
Entry = dict[str, Any]


class ServerLog:
    """The server's stderr: every line must be one JSON object."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def mark(self) -> int:
        return self.path.stat().st_size

    def entries(self, since: int = 0) -> list[Entry]:
        text = self.path.read_bytes()[since:].decode()
        found = []
        for line in text.split("\n")[:-1]:  # the last piece may be a line still being written
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                raise AssertionError(f"not a JSON log line: {line!r}") from None
            assert isinstance(value, dict), line
            found.append(value)
        return found

    async def wait_for(
        self, match: Callable[[Entry], bool], *, since: int = 0, count: int = 1, within: float = 30
    ) -> list[Entry]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            found = [entry for entry in self.entries(since) if match(entry)]
            if len(found) >= count:
                return found
            if loop.time() > deadline:
                tail = self.path.read_text()[-3000:]
                raise AssertionError(f"the log never showed {count} such lines; it ends:\n{tail}")
            await asyncio.sleep(0.1)


def message(text: str, pid: int | None = None) -> Callable[[Entry], bool]:
    return lambda e: e.get("message") == text and (pid is None or e.get("pid") == pid)


def bus_line(level: str) -> Callable[[Entry], bool]:
    """A worker's bus noticed the outage (WARNING) or the recovery (INFO), whatever it says."""
    return lambda e: e.get("logger") == "aescrm.bus" and e.get("level") == level


@dataclass
class Service:
    server: Server
    log: ServerLog
    var_dir: Path
    database_url: str

    async def workers(self) -> set[int]:
        """The pids of the live workers, from their own "aescrm started" INFO lines."""
        await self.log.wait_for(message("aescrm started"), count=WORKERS, within=90)
        entries = self.log.entries()
        started = {e["pid"] for e in entries if e.get("message") == "aescrm started"}
        finished = {
            e["pid"]
            for e in entries
            if str(e.get("message", "")).startswith("Finished server process")
        }
        live = started - finished
        assert len(live) == WORKERS, entries
        assert self.server.process is not None
        assert self.server.process.pid not in live  # workers, not the supervising parent
        return live


@pytest.fixture(scope="module")
def service(
    postgres_database: PostgresDatabase,
    private_redis: PrivateRedis,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Service]:
    postgres_database.truncate()
    var_dir = tmp_path_factory.mktemp("workers")
    log = var_dir / "server.log"
    log.touch()
    env = server_env(
        postgres_database.url,
        var_dir,
        private_redis.url,
        AESCRM_LOG_LEVEL="INFO",
        AESCRM_BUS_DOWN_POLL_SECONDS="1",
        AESCRM_SHUTDOWN_GRACE_SECONDS="15",
    )
    server = Server(env, workers=WORKERS, log=log).launch()
    try:
        server.ready(timeout=90)
        yield Service(server, ServerLog(log), var_dir, postgres_database.url)
    finally:
        server.stop(timeout=30)


@pytest.fixture
async def board(service: Service) -> AsyncIterator[tuple[Any, str, str]]:
    """A practice, an admin token (for changes) and a receptionist token (for the board)."""
    async with orm(service.database_url, service.var_dir):
        practice = await factories.practice()
        admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
        desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        yield practice, admin, desk


FAULT = "fault-injected-by-test"


@contextlib.asynccontextmanager
async def fault_injected(database_url: str) -> AsyncIterator[None]:
    """Any event whose payload mentions FAULT fails in the database: an unexpected error."""
    connection = await asyncpg.connect(database_url)
    try:
        await connection.execute(
            f"""
            CREATE FUNCTION test_fault() RETURNS trigger AS $$
            BEGIN
              IF NEW.payload::text LIKE '%{FAULT}%' THEN
                RAISE EXCEPTION 'injected fault' USING ERRCODE = 'XX000';
              END IF;
              RETURN NEW;
            END $$ LANGUAGE plpgsql;
            CREATE TRIGGER test_fault BEFORE INSERT ON domain_event
              FOR EACH ROW EXECUTE FUNCTION test_fault();
            """
        )
        yield
    finally:
        await connection.execute("DROP FUNCTION IF EXISTS test_fault() CASCADE")
        await connection.close()


async def test_every_worker_logs_json_lines_with_the_request_id(
    service: Service, board: tuple[Any, str, str]
) -> None:
    workers = await service.workers()  # each worker's INFO start-up line arrived, as JSON
    practice, admin, _ = board
    variables = {"input": {"practiceId": str(practice.id), "message": FAULT}}
    async with fault_injected(service.database_url):
        answers = [await graphql(service.server, ANNOUNCE, variables, admin) for _ in range(4)]
    for body in answers:
        [error] = body["errors"]
        assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
        request_id = error["extensions"]["requestId"]
        [logged] = await service.log.wait_for(
            lambda e, rid=request_id: e.get("request_id") == rid and e["logger"] == "aescrm.errors"
        )
        assert logged["level"] == "ERROR"
        assert logged["pid"] in workers
        assert "injected fault" in logged["exc_info"]  # the traceback, inside the JSON line
    text = service.log.path.read_text()
    assert "\x1b[" not in text  # no ANSI colour codes, not even in uvicorn's extras
    assert "color_message" not in text
    service.log.entries()  # every line so far is one JSON object


async def test_a_redis_outage_degrades_readiness_and_boards_keep_moving(
    service: Service, board: tuple[Any, str, str], private_redis: PrivateRedis
) -> None:
    workers = await service.workers()
    server, log = service.server, service.log
    practice, admin, desk = board
    async with Client.connect(server, desk) as client:
        await client.subscribe("b", practice.id)
        await asyncio.sleep(0.3)
        before = await announce(server, admin, practice.id, "before")
        assert [e["sequence"] for e in await client.events(1)] == [before]
        mark = log.mark()
        private_redis.stop()
        try:
            await log.wait_for(bus_line("WARNING"), since=mark, count=WORKERS)
            for _ in range(6):  # fresh connections: whichever worker answers
                async with httpx.AsyncClient(timeout=10) as http:
                    ready = await http.get(f"{server.http}/readyz")
                assert ready.status_code == 200
                assert ready.json() == {"status": "degraded", "database": True, "bus": False}
            during = [await announce(server, admin, practice.id, f"during {i}") for i in range(2)]
            # Delivered while Redis is still down: the feed read the event table on its timer.
            assert [e["sequence"] for e in await client.events(2, wait=15)] == during
        finally:
            private_redis.start()
        await log.wait_for(bus_line("INFO"), since=mark, count=WORKERS)
        after = await announce(server, admin, practice.id, "after")
        assert [e["sequence"] for e in await client.events(1, wait=10)] == [after]
        assert await client.quiet()
    async with httpx.AsyncClient(timeout=10) as http:
        ready = await http.get(f"{server.http}/readyz")
    assert ready.json() == {"status": "ok", "database": True, "bus": True}
    entries = log.entries(mark)
    for pid in workers:
        changes = [e["message"] for e in entries if e.get("pid") == pid]
        assert [m for m in changes if m.startswith("bus ")] == ["bus down", "bus up"], changes
    # One line per state change: no warning per failed publish, poll or reconnect attempt.
    noisy = [e for e in entries if e["level"] != "INFO" and e["message"] != "bus down"]
    assert noisy == []


class RawConnection:
    """A keep-alive HTTP/1.1 connection written byte by byte (to be caught mid-request)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> RawConnection:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    @property
    def local_port(self) -> int:
        return int(self.writer.get_extra_info("sockname")[1])

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def response(self) -> tuple[int, dict[str, str], Any]:
        head = await asyncio.wait_for(self.reader.readuntil(b"\r\n\r\n"), 20)
        status_line, *lines = head.decode("latin-1").split("\r\n")[:-2]
        headers = dict(line.lower().split(": ", 1) for line in lines)
        body = await self.reader.readexactly(int(headers["content-length"]))
        return int(status_line.split(" ")[1]), headers, orjson.loads(body)

    def close(self) -> None:
        self.writer.close()


def write_request(token: str, practice_id: object, text: str) -> tuple[bytes, bytes]:
    """An announcement over HTTP as two pieces: the head without its blank line, and the rest."""
    variables = {"input": {"practiceId": str(practice_id), "message": text}}
    body = orjson.dumps({"query": ANNOUNCE, "variables": variables})
    head = (
        "POST /graphql HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n"
        f"authorization: Bearer {token}\r\ncontent-length: {len(body)}\r\n"
    ).encode()
    return head, b"\r\n" + body


def socket_owner(server_port: int, client_port: int, pids: set[int]) -> int:
    """Which worker process holds the server side of the connection from ``client_port``."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = fields[1], fields[2]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == (
            client_port
        ):
            inode = fields[9]
    assert inode is not None
    for pid in pids:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
    raise AssertionError(f"no worker holds the connection from port {client_port}")


async def stream_writes(
    server: Server, token: str, practice_id: object, name: str, stop: asyncio.Event
) -> list[Any]:
    """Back-to-back writes on one keep-alive client; each outcome is a response or an error."""
    outcomes: list[Any] = []
    variables = {"input": {"practiceId": str(practice_id), "message": name}}
    headers = {"authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(timeout=30) as http:
        while not stop.is_set():
            try:
                response = await http.post(
                    f"{server.http}/graphql",
                    json={"query": ANNOUNCE, "variables": variables},
                    headers=headers,
                )
                outcomes.append((response.status_code, response.json()))
            except httpx.HTTPError as error:
                outcomes.append(error)
    return outcomes


async def test_a_worker_stopped_mid_stream_answers_every_request_it_began(
    service: Service, board: tuple[Any, str, str]
) -> None:
    workers = await service.workers()
    server, log = service.server, service.log
    practice, admin, desk = board
    # Keep-alive connections that each made one write, so we can see which worker holds them.
    connections = [await RawConnection.open(server.port) for _ in range(8)]
    answered: list[tuple[int, dict[str, str], Any]] = []
    for index, connection in enumerate(connections):
        head, rest = write_request(admin, practice.id, f"warm-up {index}")
        await connection.send(head + rest)
        answered.append(await connection.response())
    owners = {c: socket_owner(server.port, c.local_port, workers) for c in connections}
    victim = Counter(owners.values()).most_common(1)[0][0]
    mine = [c for c in connections if owners[c] == victim]
    halves, idle = mine[::2], mine[1::2]  # at least two each: 8 connections, 2 workers
    stop = asyncio.Event()
    async with contextlib.AsyncExitStack() as stack:
        boards = [await stack.enter_async_context(Client.connect(server, desk)) for _ in range(4)]
        for board_client in boards:
            await board_client.subscribe("b", practice.id)
        on_victim = [
            b
            for b in boards
            if socket_owner(server.port, b.connection.local_address[1], workers) == victim
        ]
        writers = [
            asyncio.create_task(stream_writes(server, admin, practice.id, f"stream {i}", stop))
            for i in range(4)
        ]
        rest_of = {}
        for index, connection in enumerate(halves):
            head, rest_of[connection] = write_request(admin, practice.id, f"half {index}")
            await connection.send(head)  # the worker has begun reading this request
        await asyncio.sleep(0.5)
        mark = log.mark()
        os.kill(victim, signal.SIGTERM)
        await log.wait_for(message("Shutting down", victim), since=mark, within=15)
        for connection in halves:
            await connection.send(rest_of[connection])
        for index, connection in enumerate(idle):
            head, rest = write_request(admin, practice.id, f"idle {index}")
            await connection.send(head + rest)  # sent on a keep-alive connection while stopping
        late = [await connection.response() for connection in halves + idle]
        await log.wait_for(
            lambda e: e.get("message") == f"Finished server process [{victim}]",
            since=mark,
            within=30,
        )
        await asyncio.sleep(0.5)
        stop.set()
        streamed = [outcome for task in writers for outcome in await task]
        close_codes = [await b.close_code() for b in on_victim]
    for connection in connections:
        connection.close()
    for status, headers, _ in late:
        assert status == 200
        assert headers["connection"] == "close"  # answered, then the client goes elsewhere
    failures = [outcome for outcome in streamed if not isinstance(outcome, tuple)]
    assert failures == []
    assert all(status == 200 for status, _ in streamed)
    assert close_codes == [1001] * len(on_victim)
    bodies = [body for _, _, body in answered + late] + [body for _, body in streamed]
    sequences = [body["data"]["announcePracticeNotice"]["sequence"] for body in bodies]
    async with orm(service.database_url, service.var_dir):
        stored = await DomainEvent.filter(practice_id=practice.id).values_list(
            "sequence", flat=True
        )
    assert sorted(sequences) == sorted(stored)  # every answered write exists, and only those
    assert len(set(sequences)) == len(sequences)
