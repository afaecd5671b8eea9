"""Board fan-out benchmark: N WebSocket subscribers on one practice, one server process.

Prints, for 1,000 and 5,000 subscribers: mutation response -> last subscriber received
(p50/p99/max over events), server CPU per delivered event, RSS per idle subscriber; and the
same figures for a floor: a bare ``websockets`` server broadcasting the same payload bytes.
Clients run in this process on the same machine, so always compare against the floor.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from db.config import apply_migrations, close_database, open_database  # noqa: E402
from graph.settings import Settings, service_config  # noqa: E402
from services import runtime  # noqa: E402
from services.policy import Role  # noqa: E402
from tests import factories  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throwaway bench key
EVENTS = 15
BOARD = (
    "subscription($p: ID!) { scheduleChanged(practiceId: $p) "
    "{ kind sequence occurredAt notice { message severity } } }"
)
ANNOUNCE = (
    "mutation($i: AnnouncePracticeNoticeInput!) { announcePracticeNotice(input: $i) { sequence } }"
)
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
    conns.add(ws)
    try:
        await ws.wait_closed()
    finally:
        conns.discard(ws)
async def main():
    async with websockets.serve(handler, "127.0.0.1", int(sys.argv[1]), ping_interval=None):
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


def summary(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"p50 {statistics.median(ordered) * 1000:7.1f} ms  p99 {p99 * 1000:7.1f} ms  "
        f"max {ordered[-1] * 1000:7.1f} ms"
    )


async def run_ours(n: int, url: str, var_dir: Path) -> tuple[list[float], float, float, bytes]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env |= {
        "AESCRM_DATABASE_URL": url,
        "AESCRM_SECRET_KEY": SECRET,
        "AESCRM_VAR_DIR": str(var_dir),
        "AESCRM_RATE_LIMIT_PER_MINUTE": "1000000",
        "AESCRM_LOG_LEVEL": "WARNING",
        "AESCRM_WS_INIT_TIMEOUT_SECONDS": "120",
    }
    argv = [sys.executable, "-m", "uvicorn", "graph.app:create_app", "--factory", "--port"]
    argv += [str(port), "--ws", "websockets-sansio", "--log-level", "warning", "--no-access-log"]
    argv += ["--backlog", "8192"]
    server = spawn(argv, env)
    base = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(timeout=60) as http:
        await _wait_http(http, f"{base}/healthz")
        async with _orm(url, var_dir):
            practice = await factories.practice()
            admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
            desk = factories.access_token(await factories.user(Role.RECEPTIONIST, practice))
        rss_before = rss_bytes(server.pid)
        receivers = Receivers(n)
        sockets: list[Any] = []
        readers: list[asyncio.Task[None]] = []
        sample: list[bytes] = []

        def key_of(raw: str | bytes) -> int | None:
            if not sample:
                sample.append(raw.encode() if isinstance(raw, str) else raw)
            message = orjson.loads(raw)
            if message.get("type") != "next":
                return None
            return int(message["payload"]["data"]["scheduleChanged"]["sequence"])

        async def join(i: int) -> None:
            ws = await websockets.connect(
                f"ws://127.0.0.1:{port}/graphql", subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
                ping_interval=None, open_timeout=120, max_queue=None,
            )  # fmt: skip
            await ws.send(
                orjson.dumps({"type": "connection_init", "payload": {"token": desk}}).decode()
            )
            assert orjson.loads(await ws.recv())["type"] == "connection_ack"
            variables = {"p": str(practice.id)}
            payload = {"query": BOARD, "variables": variables}
            await ws.send(
                orjson.dumps({"id": "b", "type": "subscribe", "payload": payload}).decode()
            )
            sockets.append(ws)
            readers.append(asyncio.create_task(_reader(ws, receivers, key_of)))

        for start in range(0, n, 200):
            await asyncio.gather(*(join(i) for i in range(start, min(n, start + 200))))
        print(f"  {n} subscribed", file=sys.stderr, flush=True)
        await asyncio.sleep(3)  # subscriptions settle (audited start, feed open)
        rss_idle = rss_bytes(server.pid)
        sample.clear()
        latencies: list[float] = []
        cpu_before = cpu_seconds(server.pid)
        for i in range(EVENTS):
            variables = {"i": {"practiceId": str(practice.id), "message": f"Notice {i}"}}
            response = await http.post(
                f"{base}/graphql",
                json={"query": ANNOUNCE, "variables": variables},
                headers={"authorization": f"Bearer {admin}"},
            )
            responded = time.perf_counter()
            sequence = response.json()["data"]["announcePracticeNotice"]["sequence"]
            try:
                await asyncio.wait_for(receivers.expect(sequence).wait(), 60)
            except TimeoutError:
                got = receivers.counts.get(sequence, 0)
                raise RuntimeError(f"event {sequence} reached {got} of {n}") from None
            latencies.append(receivers.last[sequence] - responded)
            await asyncio.sleep(0.2)
        cpu = cpu_seconds(server.pid) - cpu_before
        for task in readers:
            task.cancel()
        await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    server.terminate()
    server.wait()
    return latencies, cpu / (EVENTS * n), (rss_idle - rss_before) / n, sample[0]


async def run_floor(n: int, payload: bytes) -> tuple[list[float], float, float]:
    port = _free_port()
    script = Path(tempfile.mkdtemp()) / "floor_server.py"
    script.write_text(FLOOR_SERVER)
    server = spawn([sys.executable, str(script), str(port)], dict(os.environ))
    await asyncio.sleep(1.0)
    rss_before = rss_bytes(server.pid)
    receivers = Receivers(n)
    sockets: list[Any] = []
    counter = iter(range(1, 10**9))
    current: list[int] = [0]

    def key_of(_: str | bytes) -> int:
        return current[0]

    for start in range(0, n, 200):
        batch = await asyncio.gather(
            *(
                websockets.connect(f"ws://127.0.0.1:{port}/", ping_interval=None, open_timeout=120)
                for _ in range(start, min(n, start + 200))
            )
        )
        sockets.extend(batch)
    readers = [asyncio.create_task(_reader(ws, receivers, key_of)) for ws in sockets]
    await asyncio.sleep(2)
    rss_idle = rss_bytes(server.pid)
    control = await websockets.connect(f"ws://127.0.0.1:{port}/control", ping_interval=None)
    await control.send(payload)
    latencies: list[float] = []
    cpu_before = cpu_seconds(server.pid)
    for _ in range(EVENTS):
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
    return latencies, cpu / (EVENTS * n), (rss_idle - rss_before) / n


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def _per(cpu: float, rss: float) -> str:
    return f"CPU/delivery {cpu * 1e6:6.1f} us  RSS/idle subscriber {rss / 1024:6.1f} KiB"


async def main() -> None:
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    sizes = [int(a) for a in sys.argv[1:]] or [1000, 5000]
    print(f"ws fan-out: {os.cpu_count()} CPUs (shared; clients run on the same machine)")
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite://{tmp}/bench.sqlite3"
            await apply_migrations(url)
            latencies, cpu, rss, payload = await run_ours(n, url, Path(tmp) / "var")
            floor_lat, floor_cpu, floor_rss = await run_floor(n, payload)
        print(f"\n{n} subscribers, {EVENTS} events, payload {len(payload)} bytes")
        print(f"  aescrm  {summary(latencies)}  {_per(cpu, rss)}")
        print(f"  floor   {summary(floor_lat)}  {_per(floor_cpu, floor_rss)}")
        p99 = sorted(latencies)[-1] / max(sorted(floor_lat)[-1], 1e-9)
        print(
            f"  ratio   max latency {p99:.2f}x floor, memory {rss / max(floor_rss, 1):.2f}x floor"
        )


if __name__ == "__main__":
    asyncio.run(main())
