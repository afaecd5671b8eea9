"""The soak's clients: board subscribers that check every event by sequence across their
reconnects, and paced HTTP callers that count every answer with a GraphQL error as a failure.

Kept light for thousands of sockets on a 2-core box: one task per socket on bare
``websockets``, one orjson parse per message, no per-event allocation beyond a latency float."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
import websockets
from testbed import Keepalive

SUBSCRIBE = (
    "subscription($p: ID!, $since: Int) { scheduleChanged(practiceId: $p, since: $since) "
    "{ kind sequence previousSequence occurredAt } }"
)


@dataclass
class Tally:
    """What every client reports into: answers, failures (the first few kept), latencies."""

    requests: dict[str, int] = field(default_factory=dict)
    failures: int = 0
    messages: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)  # live events, seconds since commit
    delivered: int = 0

    def fail(self, what: str) -> None:
        self.failures += 1
        if len(self.messages) < 20:
            self.messages.append(what[:300])

    def answered(self, kind: str) -> None:
        self.requests[kind] = self.requests.get(kind, 0) + 1


class Subscriber:
    """One board subscription that survives reconnects: it resubscribes with ``since`` = the last
    sequence it received, and checks each event's ``previousSequence`` against that sequence, so
    a lost event (a gap in the chain) or a duplicate (a sequence not above the last) shows at once.
    """

    def __init__(
        self, url: str, token: str, practice: str, since: tuple[int, int], tally: Tally
    ) -> None:
        """``since``: the practice's sequence when its board was read, and the last schedule
        event's at that point (the first event's ``previousSequence``; other streams share the
        practice's sequence)."""
        self.url, self.practice, self.tally = url, practice, tally
        self.init = orjson.dumps({"type": "connection_init", "payload": {"authorization": token}})
        self.last, self.head = since
        self.received = 0
        self.lost = 0
        self.duplicated = 0
        self.reconnects = 0
        self.ready = asyncio.Event()
        self.leaving = False
        self.stopping = False
        self.ws: Any = None
        self.pong: asyncio.Future[None] | None = None

    def _subscribe(self) -> bytes:
        variables = {"p": self.practice, "since": self.last}
        payload = {"query": SUBSCRIBE, "variables": variables}
        return orjson.dumps({"id": "board", "type": "subscribe", "payload": payload})

    async def run(self) -> None:
        while not self.stopping:
            try:
                await self._session()
            except Exception as error:
                if not (self.leaving or self.stopping):
                    self.tally.fail(f"socket: {type(error).__name__}: {error}")
                    await asyncio.sleep(1)
            self.leaving = False

    async def _session(self) -> None:
        self.ws = await websockets.connect(
            self.url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            ping_interval=None, open_timeout=120, max_queue=None,
        )  # fmt: skip
        try:
            await self.ws.send(self.init.decode())
            ack = orjson.loads(await asyncio.wait_for(self.ws.recv(), 60))
            if ack.get("type") != "connection_ack":
                raise RuntimeError(f"no connection_ack: {ack}")
            subscribed = time.time()
            await self.ws.send(self._subscribe().decode())
            self.ready.set()
            async for raw in self.ws:
                self._on(orjson.loads(raw), subscribed)
            if not (self.leaving or self.stopping):
                raise RuntimeError(f"closed by the server: {self.ws.close_code}")
        finally:
            await self.ws.close()

    def _on(self, message: dict[str, Any], subscribed: float) -> None:
        kind = message.get("type")
        if kind == "ping":
            self.pong = asyncio.ensure_future(self.ws.send('{"type":"pong"}'))
            return
        if kind != "next":
            if kind != "pong":
                self.tally.fail(f"socket message: {orjson.dumps(message)[:300]!r}")
            return
        payload = message["payload"]
        if payload.get("errors"):
            self.tally.fail(f"subscription error: {payload['errors']}")
            return
        event = payload["data"]["scheduleChanged"]
        sequence, previous = int(event["sequence"]), event["previousSequence"]
        if sequence <= self.last:
            self.duplicated += 1
            return
        if previous is not None and int(previous) != self.head:
            self.lost += 1  # the chain skipped an event of this practice's schedule stream
        self.last = self.head = sequence
        self.received += 1
        self.tally.delivered += 1
        occurred = datetime.fromisoformat(event["occurredAt"]).timestamp()
        if occurred > subscribed:  # live, not replayed after a reconnect
            self.tally.latencies.append(max(0.0, time.time() - occurred))

    async def reconnect(self) -> None:
        """Drops the socket as a client on the move would; ``run`` resubscribes with ``since``."""
        self.leaving = True
        self.reconnects += 1
        self.ready.clear()
        if self.ws is not None:
            await self.ws.close()

    async def stop(self) -> None:
        self.stopping = True
        if self.ws is not None:
            await self.ws.close()


async def paced(rate: float, until: asyncio.Event, call: Callable[[], Awaitable[None]]) -> None:
    """Calls ``call`` ``rate`` times a second until ``until`` is set. Each call waits for the
    previous one (one keep-alive connection): a late answer is caught up on at once, and a caller
    more than a second behind drops the backlog, so the rate is reached only while answers are
    quicker than ``1 / rate``; the table prints the rate reached."""
    interval = 1 / rate
    due = time.monotonic()
    while not until.is_set():
        await call()
        due += interval
        delay = due - time.monotonic()
        if delay > 0:
            await asyncio.sleep(delay)
        elif delay < -1:
            due = time.monotonic()  # far behind: drop the backlog rather than burst


class Caller:
    """A keep-alive connection that opens again after a failure (the failure still counts)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: Keepalive | None = None

    async def send(self, request: bytes) -> tuple[int, bytes]:
        if self.connection is None:
            self.connection = await Keepalive.open(self.port)
        try:
            return await self.connection.send(request)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


async def graphql(caller: Caller, request: bytes, kind: str, tally: Tally) -> dict[str, Any] | None:
    """Sends one prepared request; its ``data``, or None (and a failure) on any error."""
    try:
        status, body = await caller.send(request)
        answer = orjson.loads(body)
    except Exception as error:
        tally.fail(f"{kind}: {type(error).__name__}: {error}")
        return None
    if status != 200 or answer.get("errors") or not answer.get("data"):
        tally.fail(f"{kind}: HTTP {status} {body[:300]!r}")
        return None
    tally.answered(kind)
    return dict(answer["data"])
