"""The drill's traffic: board subscribers that fail over between hosts and resume with ``since``,
and a writer that books appointments steadily and retries what an outage interrupted."""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import orjson
import websockets

from tests.drill.hosts import App
from tests.realtime.harness import ORIGIN, PROTOCOL

BOARD = """
subscription Board($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) { kind sequence appointmentId }
}"""
BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) { appointment { id } }
}"""
# A lost host must be noticed fast: WebSocket pings every 0.5 s, dead after 1.5 s unanswered.
PING_INTERVAL, PING_TIMEOUT = 0.5, 1.5


@dataclass
class BoardClient:
    """Subscribes to the board on ``hosts[0]``; on any loss, resumes on the next host with
    ``since`` = the last sequence it saw. Records every sequence and every protocol fault."""

    name: str
    hosts: list[App]
    token: str
    practice_id: str
    seen: list[int] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # duplicates, disorder, unexpected messages
    connected_to: App | None = None
    resumes: int = 0
    _task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    @property
    def last(self) -> int:
        return self.seen[-1] if self.seen else 0

    async def _run(self) -> None:
        turn = 0
        while True:
            host = self.hosts[turn % len(self.hosts)]
            with contextlib.suppress(OSError, TimeoutError, websockets.WebSocketException):
                await self._session(host)
            self.connected_to = None
            turn += 1
            self.resumes += 1
            await asyncio.sleep(0.2)

    async def _session(self, host: App) -> None:
        async with websockets.connect(
            host.ws,
            subprotocols=[PROTOCOL],  # type: ignore[list-item]
            origin=ORIGIN,  # type: ignore[arg-type]
            open_timeout=3,
            ping_interval=PING_INTERVAL,
            ping_timeout=PING_TIMEOUT,
            close_timeout=1,
        ) as socket:
            await socket.send(
                _json(
                    {
                        "type": "connection_init",
                        "payload": {"authorization": f"Bearer {self.token}"},
                    }
                )
            )
            ack = orjson.loads(await asyncio.wait_for(socket.recv(), 5))
            if ack.get("type") != "connection_ack":
                self.faults.append(f"no ack from {host.host.address}: {ack}")
                return
            variables = {"practiceId": self.practice_id, "since": self.last}
            payload = {"query": BOARD, "variables": variables}
            await socket.send(_json({"id": "board", "type": "subscribe", "payload": payload}))
            self.connected_to = host
            async for raw in socket:
                message = orjson.loads(raw)
                kind = message.get("type")
                if kind == "ping":
                    await socket.send(_json({"type": "pong"}))
                elif kind == "next" and "errors" not in message["payload"]:
                    self._record(int(message["payload"]["data"]["scheduleChanged"]["sequence"]))
                elif kind in ("next", "error", "complete"):
                    return  # an outage answered as an error: resume elsewhere with since
                elif kind != "pong":
                    self.faults.append(f"unexpected message {message}")

    def _record(self, sequence: int) -> None:
        if sequence <= self.last:
            self.faults.append(f"sequence {sequence} after {self.last} (duplicate or disorder)")
            return
        self.seen.append(sequence)


def _json(message: dict[str, Any]) -> str:
    return orjson.dumps(message).decode()


LONDON = ZoneInfo("Europe/London")
SLOTS_PER_DAY = 18  # 30-minute exams from 08:30 to 17:30: inside the dentist's 08:00-18:00


def slot(index: int) -> str:
    day = date.today() + timedelta(days=1 + index // SLOTS_PER_DAY)
    start = datetime.combine(day, datetime.min.time(), LONDON) + timedelta(
        hours=8, minutes=30 + 30 * (index % SLOTS_PER_DAY)
    )
    return start.astimezone(UTC).isoformat()


@dataclass
class Attempt:
    slot: int
    host: str
    outcome: str  # "booked", an error code, or a transport failure ("in doubt")
    at: float = field(default_factory=time.monotonic)


@dataclass
class Writer:
    """Books slot after slot, round-robin over the hosts, one at a time. A failed attempt is
    retried (on the next host) until the slot is booked; a transport failure or an unreachable
    database leaves the outcome in doubt, so a CONFLICT on its retry means the earlier attempt
    committed (the test checks the slot's appointment in the database)."""

    hosts: list[App]
    token: str
    booking: dict[str, str]  # practiceId, patientId, practitionerId, appointmentTypeId
    pause: float = 0.1
    booked: dict[int, str] = field(default_factory=dict)  # slot -> appointment id
    in_doubt_then_conflict: list[int] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    unclear: list[str] = field(default_factory=list)  # answers that are neither success nor clear
    _task: asyncio.Task[None] | None = None
    _stopping: bool = False

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run(), name="writer")

    async def stop(self, within: float = 30) -> None:
        self._stopping = True
        if self._task is not None:
            await asyncio.wait_for(self._task, within)

    def failures_since(self, moment: float) -> list[Attempt]:
        return [a for a in self.attempts if a.outcome != "booked" and a.at >= moment]

    async def _run(self) -> None:
        turn = 0
        index = 0
        async with httpx.AsyncClient(trust_env=False, timeout=3) as client:
            while not self._stopping:
                doubt = False
                deadline = time.monotonic() + 60
                while True:
                    host = self.hosts[turn % len(self.hosts)]
                    turn += 1
                    outcome = await self._attempt(client, host, index)
                    self.attempts.append(Attempt(index, host.host.address, outcome))
                    if outcome == "booked":
                        break
                    if outcome == "CONFLICT" and doubt:
                        self.in_doubt_then_conflict.append(index)
                        break
                    if outcome in ("in doubt", "SERVICE_UNAVAILABLE"):
                        doubt = True  # a connection lost mid-commit may still have committed
                    else:
                        self.unclear.append(f"slot {index} on {host.host.address}: {outcome}")
                    if time.monotonic() > deadline:
                        raise AssertionError(f"slot {index} could not be booked for 60 s")
                    await asyncio.sleep(0.2)
                index += 1
                await asyncio.sleep(self.pause)

    async def _attempt(self, client: httpx.AsyncClient, host: App, index: int) -> str:
        variables = {"input": {**self.booking, "startsAt": slot(index)}}
        try:
            response = await client.post(
                f"{host.http}/graphql",
                json={"query": BOOK, "variables": variables},
                headers={"authorization": f"Bearer {self.token}"},
            )
        except httpx.TransportError:
            return "in doubt"
        try:
            body = response.json()
        except ValueError:
            return f"HTTP {response.status_code} {response.text[:200]!r}"
        if body.get("errors"):
            error = body["errors"][0]
            code = str((error.get("extensions") or {}).get("code"))
            return code if code in ("SERVICE_UNAVAILABLE", "CONFLICT") else f"{code}: {error}"
        self.booked[index] = body["data"]["bookAppointment"]["appointment"]["id"]
        return "booked"
