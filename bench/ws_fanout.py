"""Board fan-out benchmark: N WebSocket subscribers on one practice, one server process.

Prints, for 1,000 and 5,000 subscribers (each size ``--runs`` times): mutation response -> last
subscriber received (p50/p99/max over ``--events`` events), server CPU per delivered event, RSS
per idle subscriber; and beside each, the same figures for a floor: a bare ``websockets`` server
that exchanges the same handshake messages with each socket (connection_init in,
connection_ack out, subscribe in, as a graphql-transport-ws subscriber does) and broadcasts the
same payload bytes. Neither accepts per-message deflate (our server's default). Our server is
started as production starts it (``aescrm serve``). The RSS of a floor whose sockets never
exchanged a message is printed too (it is what an earlier version of this script compared to).
Clients run in this process on the same machine, so always compare against the floor.

``--bus URL`` serves over that bus (``AESCRM_BROADCAST_URL``: ``memory://``, ``redis://…``,
``postgres://…``) and first prints the bus alone, in this process: publish → handler latency of
one envelope at a time, and the Python heap each listened channel costs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.testbed import free_port  # noqa: E402
from db.config import apply_migrations, close_database, open_database  # noqa: E402
from graph.release import VERSION  # noqa: E402
from graph.settings import Settings, service_config  # noqa: E402
from realtime.bus import Bus  # noqa: E402
from services import runtime  # noqa: E402
from services.policy import Role  # noqa: E402
from tests import factories  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throwaway bench key
BOARD = (
    "subscription($p: ID!) { scheduleChanged(practiceId: $p) "
    "{ kind sequence occurredAt notice { message severity } } }"
)
ANNOUNCE = (
    "mutation($i: AnnouncePracticeNoticeInput!) { announcePracticeNotice(input: $i) { sequence } }"
)
ACK = orjson.dumps({"type": "connection_ack", "payload": {"version": VERSION}}).decode()  # ours
FLOOR_SERVER = """
import asyncio, sys, websockets
conns = set()
async def handler(ws):
    if ws.request.path == "/control":
        payload = await ws.recv()
        async for _ in ws:
            websockets.broadcast(conns, payload)
            await ws.send("done")
        return
    if ws.request.path == "/handshake":  # what a graphql-transport-ws subscriber exchanges
        await ws.recv()
        await ws.send(sys.argv[2])
        await ws.recv()
    conns.add(ws)
    try:
        await ws.wait_closed()
    finally:
        conns.discard(ws)
async def main():
    # No per-message deflate, as our server serves by default (AESCRM_WS_COMPRESSION).
    async with websockets.serve(
        handler, "127.0.0.1", int(sys.argv[1]), ping_interval=None, compression=None
    ):
        await asyncio.Future()
asyncio.run(main())
"""


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def spawn(argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = "ulimit -n 65536 2>/dev/null; exec " + " ".join(argv)
    return subprocess.Popen(["bash", "-c", command], env=env, cwd=ROOT)


class Receivers:
    """N sockets; records when each sequence reached how many of them."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.counts: dict[int, int] = {}
        self.last: dict[int, float] = {}
        self.done: dict[int, asyncio.Event] = {}

    def expect(self, key: int) -> asyncio.Event:
        return self.done.setdefault(key, asyncio.Event())

    def got(self, key: int) -> None:
        count = self.counts.get(key, 0) + 1
        self.counts[key] = count
        if count == self.total:
            self.last[key] = time.perf_counter()
            self.expect(key).set()


async def _reader(ws: Any, receivers: Receivers, key_of: Any) -> None:
    async for raw in ws:
        key = key_of(raw)
        if key is not None:
            receivers.got(key)


def p99(latencies: list[float]) -> float:
    """Interpolated 99th percentile (with 100 events, between the two slowest)."""
    return statistics.quantiles(latencies, n=100, method="inclusive")[98]


def summary(latencies: list[float]) -> str:
    return (
        f"p50 {statistics.median(latencies) * 1000:6.1f} ms  p99 {p99(latencies) * 1000:6.1f} ms"
        f"  max {max(latencies) * 1000:6.1f} ms"
    )


@dataclass
class Figures:
    latencies: list[float]
    cpu: float  # seconds per delivery
    rss: float  # bytes per idle subscriber


def _subscribe_message(practice_id: str) -> str:
    payload = {"query": BOARD, "variables": {"p": practice_id}}
    return orjson.dumps({"id": "b", "type": "subscribe", "payload": payload}).decode()


@dataclass
class Traffic:
    """The exact messages of one subscriber, replayed by the floor."""

    init: str
    subscribe: str
    payload: bytes = b""


async def bus_alone(url: str, messages: int = 2000, channels: int = 1000) -> None:
    """The bus by itself: one envelope published at a time, timed until its handler ran."""
    bus = Bus(url)
    await bus.connect()
    prefix = f"bench:{os.getpid()}:"  # the Redis or PostgreSQL server may be shared
    try:
        arrived = asyncio.Event()
        stops = [await bus.listen(f"{prefix}rtt", lambda _: arrived.set())]
        latencies: list[float] = []
        message = b'{"p":"00000000-0000-0000-0000-000000000007","t":"schedule","s":1}'
        for i in range(messages + 100):
            arrived.clear()
            started = time.perf_counter()
            await bus.publish(f"{prefix}rtt", message)
            await asyncio.wait_for(arrived.wait(), 10)
            if i >= 100:  # warm-up
                latencies.append(time.perf_counter() - started)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for c in range(channels):
            stops.append(await bus.listen(f"{prefix}{c}", lambda _: None))
        await asyncio.sleep(0.2)
        heap = (tracemalloc.get_traced_memory()[0] - before) / channels
        tracemalloc.stop()
        for stop in stops:
            stop()
        await asyncio.sleep(0.2)
    finally:
        await bus.disconnect()
    median = statistics.median(latencies)
    print(
        f"bus {url.split('://')[0]}: publish -> handler p50 {median * 1e6:.0f} us"
        f"  p99 {p99(latencies) * 1e6:.0f} us ({messages} envelopes, one at a time);"
        f"  heap per listened channel {heap / 1024:.2f} KiB ({channels} channels)",
        flush=True,
    )


async def run_ours(
    n: int, events: int, url: str, var_dir: Path, bus: str
) -> tuple[Figures, Traffic]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env |= {
        "AESCRM_BROADCAST_URL": bus,
        "AESCRM_DATABASE_URL": url,
        "AESCRM_SECRET_KEY": SECRET,
        "AESCRM_VAR_DIR": str(var_dir),
        "AESCRM_RATE_LIMIT_PER_MINUTE": "1000000",
        "AESCRM_BUDGET_FIRST_PARTY_PER_MINUTE": "10000000",
        "AESCRM_BUDGET_PARTNER_PER_MINUTE": "10000000",
        "AESCRM_LOG_LEVEL": "WARNING",
        "AESCRM_WS_INIT_TIMEOUT_SECONDS": "120",
        # Every bench socket is one receptionist from one address: lift the per-process caps.
        "AESCRM_MAX_SOCKETS_PER_PRINCIPAL": str(n + 10),
        "AESCRM_MAX_SOCKETS_PER_ADDRESS": str(n + 10),
    }
    # As production starts it: ``aescrm serve`` (graph.server_options.uvicorn_options).
    aescrm = str(Path(sys.executable).with_name("aescrm"))
    server = spawn([aescrm, "serve", "--port", str(port)], env)
    try:
        return await _measure_ours(server, port, n, events, url, var_dir)
    finally:
        server.terminate()
        server.wait()


async def _measure_ours(
    server: subprocess.Popen[bytes], port: int, n: int, events: int, url: str, var_dir: Path
) -> tuple[Figures, Traffic]:
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=60) as http:
        await _wait_http(http, f"{base}/healthz")
        async with _orm(url, var_dir):
            practice = await factories.practice()
            admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
            desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        init = orjson.dumps({"type": "connection_init", "payload": {"token": desk}}).decode()
        subscribe = _subscribe_message(str(practice.id))
        sample: list[bytes] = []

        def key_of(raw: str | bytes) -> int | None:
            if not sample:
                sample.append(raw.encode() if isinstance(raw, str) else raw)
            message = orjson.loads(raw)
            if message.get("type") != "next":
                return None
            return int(message["payload"]["data"]["scheduleChanged"]["sequence"])

        async def join(receivers: Receivers) -> Any:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                ping_interval=None, open_timeout=120, max_queue=None,
            )  # fmt: skip
            await ws.send(init)
            assert orjson.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(subscribe)
            readers.append(asyncio.create_task(_reader(ws, receivers, key_of)))
            return ws

        async def announce(i: int) -> int:
            variables = {"i": {"practiceId": str(practice.id), "message": f"Notice {i}"}}
            response = await http.post(
                f"{base}/graphql",
                json={"query": ANNOUNCE, "variables": variables},
                headers={"authorization": f"Bearer {admin}"},
            )
            return int(response.json()["data"]["announcePracticeNotice"]["sequence"])

        # Warm-up: one subscriber and one event, so one-time costs are not counted per socket.
        readers: list[asyncio.Task[None]] = []
        warm = Receivers(1)
        first = await join(warm)
        await asyncio.sleep(0.5)
        await asyncio.wait_for(warm.expect(await announce(-1)).wait(), 30)
        readers.pop().cancel()
        await first.close()
        await asyncio.sleep(1)
        rss_before = rss_bytes(server.pid)

        receivers = Receivers(n)
        sockets: list[Any] = []
        for start in range(0, n, 200):
            sockets += await asyncio.gather(
                *(join(receivers) for _ in range(start, min(n, start + 200)))
            )
        print(f"  aescrm: {n} subscribed", file=sys.stderr, flush=True)
        await asyncio.sleep(3)  # subscriptions settle (audited start, feed open)
        rss_idle = rss_bytes(server.pid)
        sample.clear()
        latencies: list[float] = []
        cpu_before = cpu_seconds(server.pid)
        for i in range(events):
            sequence = await announce(i)
            responded = time.perf_counter()
            try:
                await asyncio.wait_for(receivers.expect(sequence).wait(), 60)
            except TimeoutError:
                got = receivers.counts.get(sequence, 0)
                raise RuntimeError(f"event {sequence} reached {got} of {n}") from None
            # Sockets may get the event before the HTTP response is read: that counts as 0.
            latencies.append(max(0.0, receivers.last[sequence] - responded))
            await asyncio.sleep(0.2)
        cpu = cpu_seconds(server.pid) - cpu_before
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    traffic = Traffic(init, subscribe, sample[0])
    return Figures(latencies, cpu / (events * n), (rss_idle - rss_before) / n), traffic


async def run_floor(n: int, events: int, traffic: Traffic) -> Figures:
    port = free_port()
    script = Path(tempfile.mkdtemp()) / "floor_server.py"
    script.write_text(FLOOR_SERVER)
    server = spawn([sys.executable, str(script), str(port), f"'{ACK}'"], dict(os.environ))
    try:
        return await _measure_floor(server, script, port, n, events, traffic)
    finally:
        server.terminate()
        server.wait()


async def _measure_floor(
    server: subprocess.Popen[bytes], script: Path, port: int, n: int, events: int, traffic: Traffic
) -> Figures:
    await _wait_port(port)

    async def join(path: str) -> Any:
        ws = await websockets.connect(
            f"ws://127.0.0.1:{port}/{path}", ping_interval=None, open_timeout=120
        )
        if path == "handshake":
            await ws.send(traffic.init)
            await ws.recv()
            await ws.send(traffic.subscribe)
        return ws

    warm = await join("handshake")  # one-time costs, as for ours
    await warm.close()
    await asyncio.sleep(1.0)
    rss_before = rss_bytes(server.pid)
    receivers = Receivers(n)
    sockets: list[Any] = []
    for start in range(0, n, 200):
        sockets += await asyncio.gather(
            *(join("handshake") for _ in range(start, min(n, start + 200)))
        )
    counter = iter(range(1, 10**9))
    current: list[int] = [0]

    def key_of(_: str | bytes) -> int:
        return current[0]

    readers = [asyncio.create_task(_reader(ws, receivers, key_of)) for ws in sockets]
    await asyncio.sleep(3)
    rss_idle = rss_bytes(server.pid)
    control = await websockets.connect(f"ws://127.0.0.1:{port}/control", ping_interval=None)
    await control.send(traffic.payload)
    latencies: list[float] = []
    cpu_before = cpu_seconds(server.pid)
    for _ in range(events):
        current[0] = next(counter)
        responded = time.perf_counter()  # the bare server has no response before its broadcast
        await control.send("go")
        await control.recv()
        await asyncio.wait_for(receivers.expect(current[0]).wait(), 60)
        latencies.append(max(0.0, receivers.last[current[0]] - responded))
        await asyncio.sleep(0.2)
    cpu = cpu_seconds(server.pid) - cpu_before
    for task in readers:
        task.cancel()
    await control.close()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    server.terminate()
    server.wait()
    figures = Figures(latencies, cpu / (events * n), (rss_idle - rss_before) / n)
    # A fresh floor whose sockets never exchange a message (what this script used to compare to).
    silent_server = spawn([sys.executable, str(script), str(port), f"'{ACK}'"], dict(os.environ))
    try:
        await _wait_port(port)
        silent = await _silent_floor(silent_server.pid, join, n)
    finally:
        silent_server.terminate()
        silent_server.wait()
    print(f"  floor with silent sockets: RSS/idle subscriber {silent / 1024:6.1f} KiB")
    return figures


async def _silent_floor(pid: int, join: Any, n: int) -> float:
    await (await join("silent")).close()
    await asyncio.sleep(1.0)
    silent_before = rss_bytes(pid)
    quiet: list[Any] = []
    for start in range(0, n, 200):
        quiet += await asyncio.gather(*(join("silent") for _ in range(start, min(n, start + 200))))
    await asyncio.sleep(3)
    silent = (rss_bytes(pid) - silent_before) / n
    await asyncio.gather(*(ws.close() for ws in quiet), return_exceptions=True)
    return silent


async def _wait_port(port: int) -> None:
    """A loaded machine may take seconds to start a server: wait until it accepts."""
    for _ in range(600):
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.1)
            continue
        writer.close()
        return
    raise RuntimeError("floor server did not start")


async def _wait_http(http: httpx.AsyncClient, url: str) -> None:
    for _ in range(300):
        try:
            if (await http.get(url)).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        await asyncio.sleep(0.1)
    raise RuntimeError("server did not start")


class _orm:  # noqa: N801 - used like a context manager function
    def __init__(self, url: str, var_dir: Path) -> None:
        self.url, self.var_dir = url, var_dir

    async def __aenter__(self) -> None:
        settings = Settings(database_url=self.url, secret_key=SECRET, var_dir=self.var_dir)
        runtime.configure(service_config(settings))
        await open_database(self.url)

    async def __aexit__(self, *_: object) -> None:
        await close_database()


def _per(f: Figures) -> str:
    return f"CPU/delivery {f.cpu * 1e6:6.1f} us  RSS/idle subscriber {f.rss / 1024:6.1f} KiB"


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 5000])
    parser.add_argument("--events", type=int, default=100)
    parser.add_argument("--runs", type=int, default=2)
    parser.add_argument("--bus", default="memory://", help="AESCRM_BROADCAST_URL of the server")
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    print(f"ws fan-out: {os.cpu_count()} CPUs (shared; clients run on the same machine)")
    await bus_alone(args.bus)
    for n in args.sizes:
        for run in range(1, args.runs + 1):
            with tempfile.TemporaryDirectory() as tmp:
                url = f"sqlite://{tmp}/bench.sqlite3"
                await apply_migrations(url)
                title = f"{n} subscribers, run {run}, {args.events} events, bus {args.bus}"
                print(f"\n{title}", flush=True)
                ours, traffic = await run_ours(n, args.events, url, Path(tmp) / "var", args.bus)
                floor = await run_floor(n, args.events, traffic)
            print(f"  payload {len(traffic.payload)} bytes")
            print(f"  aescrm  {summary(ours.latencies)}  {_per(ours)}")
            print(f"  floor   {summary(floor.latencies)}  {_per(floor)}")
            ratio = (
                f"p99 {p99(ours.latencies) / max(p99(floor.latencies), 1e-9):.2f}x, "
                f"max {max(ours.latencies) / max(max(floor.latencies), 1e-9):.2f}x, "
                f"memory {ours.rss / max(floor.rss, 1):.2f}x floor "
                f"(targets: p99 <= 1.5x, CPU < 150 us, memory <= 1.5x)"
            )
            print(f"  ratio   {ratio}", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
