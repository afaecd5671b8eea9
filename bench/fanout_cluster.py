"""Fan-out across workers: 10,000 WebSocket subscribers over ``aescrm serve --workers 2`` on
PostgreSQL + Redis, 50 practices, one event per second per practice.

Creates its own PostgreSQL database (dropped at the end) and starts a private ``redis-server``
on a free port (the bus and the relay lease; a shared Redis would share the lease with whatever
else runs against it). Then:

1. **Relay wake** (two single-process servers, so it is known which one holds the lease):
   ``--wake-events`` commits through the leader and as many through the other process;
   prints request sent -> envelope on the bus (seen by a PSUBSCRIBE tap) for each. The
   difference is what the lease adds to an event committed on a worker that is not the leader
   (a one-byte wake message to the leader, which then reads the unpublished rows).
2. **Fan-out**: ``aescrm serve --workers 2``; ``--clients`` client processes (``websockets``
   with graphql-transport-ws, per-message deflate offered as browsers do; the server accepts
   it only with ``--ws-compression``) open
   ``--subscribers`` sockets, each subscribing ``scheduleChanged`` of practice ``i % 50``;
   once all are live, every practice gets one ``announcePracticeNotice`` per second (a
   mutation committing one schedule event: the same outbox -> relay -> bus -> feed -> socket
   path as a booking, without a booking's own write cost) for ``--seconds``. Prints p50/p99/max
   of mutation response -> socket received, over every delivery (sent -> received too);
   server CPU (both workers) per delivery; Redis CPU; sockets per worker; per-socket
   duplicates and missing events by sequence; envelopes published on the bus per event.

    .venv/bin/python bench/fanout_cluster.py [--subscribers 10000] [--practices 50]
        [--seconds 60] [--clients 4] [--wake-events 200] [--no-deflate] [--ws-compression]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import orjson
import redis.asyncio as redis_asyncio
import websockets

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import testbed  # noqa: E402
from bench.testbed import free_port  # noqa: E402
from bench.ws_fanout import cpu_seconds  # noqa: E402
from db.config import apply_migrations, close_database, open_database  # noqa: E402
from graph.settings import Settings, service_config  # noqa: E402
from realtime.envelopes import Envelope  # noqa: E402
from services import runtime  # noqa: E402
from services.policy import Role  # noqa: E402
from tests import factories  # noqa: E402

SECRET = "bench-secret-key-0123456789abcdef0123456789"  # noqa: S105 - a throwaway bench key
POSTGRES = os.environ.get("AESCRM_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
BOARD = (
    "subscription($p: ID!) { scheduleChanged(practiceId: $p) "
    "{ kind sequence occurredAt notice { message severity } } }"
)
ANNOUNCE = (
    "mutation($i: AnnouncePracticeNoticeInput!) { announcePracticeNotice(input: $i) { sequence } }"
)


# --- client processes -----------------------------------------------------------------------


async def quiet(last: list[float], clock: Any, seconds: float = 2) -> None:
    """Returns once no message arrived for ``seconds`` (a backlog still arriving is waited for)."""
    for _ in range(1000):  # at most ~30 minutes of backlog
        idle = clock() - last[0]
        if idle >= seconds:
            return
        await asyncio.sleep(seconds - idle)


async def client_main(spec_path: str, out_path: str) -> None:
    """One client process: opens its sockets, prints "ready", records (sequence, monotonic
    time) of every event per socket until stdin says "stop", then writes them to ``out_path``."""
    spec = orjson.loads(read_bytes(spec_path))
    url, boards = spec["url"], spec["boards"]  # boards: [practice index, init, subscribe]
    received: list[list[tuple[int, float]]] = [[] for _ in boards]
    clock = time.monotonic
    compression = "deflate" if spec["deflate"] else None
    last = [clock()]  # when the latest message arrived

    async def socket(slot: int) -> Any:
        _, init, subscribe = boards[slot]
        ws = await websockets.connect(
            url, subprotocols=["graphql-transport-ws"],  # type: ignore[list-item]
            ping_interval=None, open_timeout=300, max_queue=None, compression=compression,
        )  # fmt: skip
        await ws.send(init)
        assert orjson.loads(await ws.recv())["type"] == "connection_ack"
        await ws.send(subscribe)
        return ws

    async def read(slot: int, ws: Any) -> None:
        mine = received[slot]
        async for raw in ws:
            message = orjson.loads(raw)
            kind = message.get("type")
            if kind == "next":
                now = last[0] = clock()
                mine.append((message["payload"]["data"]["scheduleChanged"]["sequence"], now))
            elif kind == "ping":
                await ws.send('{"type":"pong"}')
            elif kind != "pong":
                raise RuntimeError(f"unexpected message {message}")

    sockets: list[Any] = []
    for start in range(0, len(boards), 100):
        sockets += await asyncio.gather(
            *(socket(slot) for slot in range(start, min(len(boards), start + 100)))
        )
    readers = [asyncio.create_task(read(slot, ws)) for slot, ws in enumerate(sockets)]
    await asyncio.sleep(2)  # subscriptions live (feeds opened, channels subscribed)
    print("ready", flush=True)
    cpu_before = time.process_time()
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.readline)
    await quiet(last, clock)
    cpu = time.process_time() - cpu_before
    failed = [task for task in readers if task.done()]
    for task in readers:
        task.cancel()
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)
    result = {
        "practices": [board[0] for board in boards],
        "received": received,
        "failed": len(failed),
        "cpu": cpu,
    }
    write_bytes(out_path, orjson.dumps(result))


def read_bytes(path: str | Path) -> bytes:
    return Path(path).read_bytes()


def write_bytes(path: str | Path, data: bytes) -> None:
    Path(path).write_bytes(data)


def start(argv: list[str], **options: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen(argv, cwd=ROOT, **options)


# --- servers, database, redis ---------------------------------------------------------------


class Redis:
    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    async def __aenter__(self) -> Redis:
        command = ["redis-server", "--port", str(self.port), "--save", "", "--appendonly", "no"]
        self.process = start(command, stdout=subprocess.DEVNULL)
        client: Any = redis_asyncio.from_url(self.url)
        try:
            for _ in range(100):
                with contextlib.suppress(OSError, redis_asyncio.RedisError):
                    await client.ping()
                    return self
                await asyncio.sleep(0.05)
        finally:
            await client.aclose()
        raise RuntimeError("redis-server did not start")

    async def __aexit__(self, *_: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait()


@contextlib.asynccontextmanager
async def database() -> AsyncIterator[str]:
    name = f"aescrm_bench_fanout_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(POSTGRES)
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    try:
        await apply_migrations(url)
        yield url
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def server_env(
    database_url: str, bus: str, var_dir: Path, sockets: int, *, compression: bool = False
) -> dict[str, str]:
    """``bench.testbed``'s server settings (its own relay prefix among them) for this bench."""
    return testbed.server_env(
        database_url,
        str(var_dir),
        AESCRM_BROADCAST_URL=bus,
        AESCRM_SECRET_KEY=SECRET,
        AESCRM_JOBS_IN_PROCESS="false",
        AESCRM_WS_INIT_TIMEOUT_SECONDS="300",
        # One receptionist per practice from one address: lift the per-process socket caps.
        AESCRM_MAX_SOCKETS_PER_PRINCIPAL=str(sockets + 10),
        AESCRM_MAX_SOCKETS_PER_ADDRESS=str(sockets + 10),
        AESCRM_WS_COMPRESSION=str(compression).lower(),
    )


def serve(env: dict[str, str], port: int, workers: int = 1) -> subprocess.Popen[bytes]:
    aescrm = str(Path(sys.executable).with_name("aescrm"))
    argv = [aescrm, "serve", "--host", "127.0.0.1", "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    command = "ulimit -n 65536 2>/dev/null; exec " + " ".join(argv)
    return subprocess.Popen(["bash", "-c", command], env=env, cwd=ROOT)


async def ready(port: int, within: float = 120) -> None:
    deadline = time.monotonic() + within
    async with httpx.AsyncClient(timeout=2) as http:
        while time.monotonic() < deadline:
            with contextlib.suppress(httpx.HTTPError):
                if (await http.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            await asyncio.sleep(0.2)
    raise RuntimeError("server did not start")


def workers_of(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    found = []
    for child in (int(p) for p in text.split()):
        if b"resource_tracker" not in Path(f"/proc/{child}/cmdline").read_bytes():
            found.append(child)
    return found


def open_sockets(pid: int) -> int:
    count = 0
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            count += os.readlink(fd).startswith("socket:")
    return count


class BusTap:
    """Every envelope published on the bus: how often each (practice, sequence), and when first."""

    def __init__(self, url: str) -> None:
        self.client: Any = redis_asyncio.from_url(url)
        self.seen: Counter[tuple[str, int]] = Counter()
        self.first: dict[tuple[str, int], float] = {}
        self.task: asyncio.Task[None] | None = None
        self.arrived = asyncio.Event()

    async def published(self, key: tuple[str, int], within: float = 30) -> None:
        async with asyncio.timeout(within):
            while key not in self.first:
                self.arrived.clear()
                await self.arrived.wait()

    async def __aenter__(self) -> BusTap:
        pubsub = self.client.pubsub()
        await pubsub.psubscribe("practice:*")
        self.task = asyncio.create_task(self._read(pubsub))
        return self

    async def __aexit__(self, *_: object) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.client.aclose()

    async def _read(self, pubsub: Any) -> None:
        try:
            async for message in pubsub.listen():
                if message["type"] == "pmessage":
                    envelope = Envelope.decode(message["data"])
                    if envelope is not None:
                        key = (str(envelope.practice_id), envelope.sequence)
                        self.seen[key] += 1
                        self.first.setdefault(key, time.monotonic())
                        self.arrived.set()
        finally:
            await pubsub.aclose()


@contextlib.asynccontextmanager
async def orm(url: str, var_dir: Path) -> AsyncIterator[None]:
    settings = Settings(database_url=url, secret_key=SECRET, var_dir=var_dir)
    runtime.configure(service_config(settings))
    await open_database(url)
    try:
        yield
    finally:
        await close_database()


async def seed(url: str, var_dir: Path, practices: int) -> list[tuple[str, str, str]]:
    """(practice id, admin token, receptionist token) per practice, tokens valid for 3 hours."""
    ttl = timedelta(hours=3)
    found = []
    async with orm(url, var_dir):
        for _ in range(practices):
            practice = await factories.practice()
            admin = await factories.user(Role.PRACTICE_ADMIN, practice)
            desk = await factories.user(Role.RECEPTIONIST, practice)
            found.append(
                (
                    str(practice.id),
                    factories.access_token(admin, ttl=ttl),
                    factories.access_token(desk, ttl=ttl),
                )
            )
    return found


async def announce(http: httpx.AsyncClient, base: str, practice: str, token: str, n: int) -> int:
    response = await http.post(
        f"{base}/graphql",
        json={"query": ANNOUNCE, "variables": {"i": {"practiceId": practice, "message": f"n{n}"}}},
        headers={"authorization": f"Bearer {token}"},
    )
    body = response.json()
    if "errors" in body:
        raise RuntimeError(body["errors"])
    return int(body["data"]["announcePracticeNotice"]["sequence"])


async def drive(port: int, boards: list[Any], seconds: int) -> dict[tuple[int, int], Any]:
    """One mutation per second per practice (phases spread over the second), for ``seconds``:
    (practice index, sequence) -> (monotonic sent, monotonic answered)."""
    sent: dict[tuple[int, int], tuple[float, float]] = {}
    limits = httpx.Limits(max_connections=64, max_keepalive_connections=64)
    begin = time.monotonic()
    async with httpx.AsyncClient(timeout=120, limits=limits) as http:
        base = f"http://127.0.0.1:{port}"

        async def practice_loop(p: int) -> None:
            practice, admin, _ = boards[p]
            first = begin + p / len(boards)
            for n in range(seconds):
                await asyncio.sleep(max(0.0, first + n - time.monotonic()))
                t_sent = time.monotonic()
                sequence = await announce(http, base, practice, admin, n)
                sent[(p, sequence)] = (t_sent, time.monotonic())

        await asyncio.gather(*(practice_loop(p) for p in range(len(boards))))
    return sent


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def line(values: list[float]) -> str:
    return (
        f"p50 {statistics.median(values) * 1000:6.1f} ms  p99 {pct(values, 0.99) * 1000:6.1f} ms"
        f"  max {max(values) * 1000:6.1f} ms  (n={len(values)})"
    )


# --- 1. relay wake --------------------------------------------------------------------------


async def relay_wake(url: str, bus: str, var_dir: Path, boards: list[Any], events: int) -> None:
    env = server_env(url, bus, var_dir, 100)
    ports = [free_port(), free_port()]
    servers = [serve(env, port) for port in ports]
    try:
        await asyncio.gather(*(ready(port) for port in ports))
        client: Any = redis_asyncio.from_url(bus)
        try:
            holder = None
            for _ in range(100):
                holder = await client.get(env["AESCRM_RELAY_KEY_PREFIX"] + "lease")
                if holder is not None:
                    break
                await asyncio.sleep(0.1)
        finally:
            await client.aclose()
        assert holder is not None, "nobody took the relay lease"
        leader_pid = int(holder.decode().split(":")[1])
        pids = [server.pid for server in servers]
        leader = pids.index(leader_pid)
        practice, admin, _ = boards[0]
        results: dict[str, list[float]] = {"leader": [], "other": []}
        async with BusTap(bus) as tap, httpx.AsyncClient(timeout=30) as http:
            for i in range(events * 2 + 20):
                which = "leader" if i % 2 == 0 else "other"
                port = ports[leader if which == "leader" else 1 - leader]
                sent = time.monotonic()
                sequence = await announce(http, f"http://127.0.0.1:{port}", practice, admin, i)
                key = (practice, sequence)
                await tap.published(key)
                if i >= 20:  # warm-up
                    results[which].append(tap.first[key] - sent)
                await asyncio.sleep(0.02)
            duplicates = sum(1 for n in tap.seen.values() if n > 1)
        print("relay wake (2 single-process servers, request sent -> envelope on the bus):")
        print(f"  committed on the leader     {line(results['leader'])}")
        print(f"  committed on the other one  {line(results['other'])}")
        added = statistics.median(results["other"]) - statistics.median(results["leader"])
        print(f"  added by the wake (median difference): {added * 1000:.2f} ms;"
              f" envelopes published twice: {duplicates}", flush=True)  # fmt: skip
    finally:
        for server in servers:
            server.terminate()
            server.wait()


# --- 2. fan-out -----------------------------------------------------------------------------


async def fanout(
    url: str, bus: str, var_dir: Path, boards: list[Any], args: argparse.Namespace, redis_pid: int
) -> None:
    port = free_port()
    env = server_env(url, bus, var_dir, args.subscribers, compression=args.ws_compression)
    server = serve(env, port, workers=2)
    clients: list[subprocess.Popen[bytes]] = []
    tmp = Path(tempfile.mkdtemp(prefix="fanout-"))
    try:
        await ready(port)
        await asyncio.sleep(2)
        workers = workers_of(server.pid)
        per_mutation = 0.0
        if args.baseline_seconds:
            cpu_before = sum(cpu_seconds(w) for w in workers)
            baseline = await drive(port, boards, args.baseline_seconds)
            await asyncio.sleep(1)
            per_mutation = (sum(cpu_seconds(w) for w in workers) - cpu_before) / len(baseline)
            print(
                f"baseline, no subscriber: {len(baseline)} mutations,"
                f" server CPU {per_mutation * 1000:.2f} ms per mutation (commit, relay, response)",
                flush=True,
            )
        ws_url = f"ws://127.0.0.1:{port}/graphql"
        per = [list(range(c, args.subscribers, args.clients)) for c in range(args.clients)]
        for c, slots in enumerate(per):
            specs = []
            for slot in slots:
                p = slot % len(boards)
                practice, _, desk = boards[p]
                init = orjson.dumps({"type": "connection_init", "payload": {"token": desk}})
                subscribe = orjson.dumps(
                    {"id": "b", "type": "subscribe",
                     "payload": {"query": BOARD, "variables": {"p": practice}}}
                )  # fmt: skip
                specs.append([p, init.decode(), subscribe.decode()])
            spec = tmp / f"client{c}.json"
            deflate = not args.no_deflate
            write_bytes(spec, orjson.dumps({"url": ws_url, "boards": specs, "deflate": deflate}))
            clients.append(
                start(
                    [sys.executable, __file__, "--client", str(spec), str(tmp / f"out{c}.json")],
                    stdin=subprocess.PIPE,
                    stdout=subprocess.PIPE,
                )
            )
        started = time.monotonic()
        loop = asyncio.get_running_loop()
        for client in clients:
            assert client.stdout is not None
            answer = await loop.run_in_executor(None, client.stdout.readline)
            if answer.strip() != b"ready":
                raise RuntimeError("a client process failed before it was ready")
        print(
            f"\nfan-out: {args.subscribers} subscribers over 2 workers, {len(boards)} practices,"
            f" {args.clients} client processes (offering per-message deflate:"
            f" {'no' if args.no_deflate else 'yes'}; server accepting it:"
            f" {'yes' if args.ws_compression else 'no'});"
            f" connected in {time.monotonic() - started:.0f} s;"
            f" sockets per worker {[open_sockets(w) for w in workers]}",
            flush=True,
        )
        await asyncio.sleep(1)
        cpu_before = sum(cpu_seconds(w) for w in workers)
        redis_before = cpu_seconds(redis_pid)
        wall_before = time.monotonic()
        async with BusTap(bus) as tap:
            sent = await drive(port, boards, args.seconds)
            await asyncio.sleep(3)  # the last events arrive
            wall = time.monotonic() - wall_before
            cpu = sum(cpu_seconds(w) for w in workers) - cpu_before
            redis_cpu = (cpu_seconds(redis_pid)) - redis_before
            published = tap.seen
        for client in clients:
            assert client.stdin is not None
            client.stdin.write(b"stop\n")
            client.stdin.flush()
        for client in clients:
            client.wait(timeout=300)
        report(args, boards, sent, published, tmp, cpu, redis_cpu, wall, per_mutation)
    finally:
        for client in clients:
            if client.poll() is None:
                client.kill()
                client.wait()
        server.terminate()
        server.wait()
        shutil.rmtree(tmp, ignore_errors=True)


def report(
    args: argparse.Namespace,
    boards: list[Any],
    sent: dict[tuple[int, int], tuple[float, float]],
    published: Counter[tuple[str, int]],
    tmp: Path,
    cpu: float,
    redis_cpu: float,
    wall: float,
    per_mutation: float,
) -> None:
    expected: dict[int, set[int]] = {}
    for p, sequence in sent:
        expected.setdefault(p, set()).add(sequence)
    from_answer: list[float] = []
    from_sent: list[float] = []
    deliveries = duplicates = missing = failed = 0
    client_cpu = 0.0
    sockets_short = 0
    for c in range(args.clients):
        result = orjson.loads(read_bytes(tmp / f"out{c}.json"))
        failed += result["failed"]
        client_cpu += result["cpu"]
        for p, events in zip(result["practices"], result["received"], strict=True):
            want = expected.get(p, set())
            counts = Counter(sequence for sequence, _ in events)
            duplicates += sum(n - 1 for s, n in counts.items() if n > 1 and s in want)
            lost = len(want - set(counts))
            missing += lost
            sockets_short += lost > 0
            for sequence, received in events:
                times = sent.get((p, sequence))
                if times is None:
                    continue  # an event of before the run (none expected)
                deliveries += 1
                from_sent.append(received - times[0])
                from_answer.append(max(0.0, received - times[1]))
    events = len(sent)
    on_bus = [published.get((boards[p][0], s), 0) for p, s in sent]
    print(f"  {events} events committed in {wall:.0f} s; {deliveries} deliveries")
    print(f"  mutation response -> socket  {line(from_answer)}")
    print(f"  mutation sent     -> socket  {line(from_sent)}")
    print(
        f"  server CPU (2 workers) {cpu:.1f} s"
        f" = {cpu / max(deliveries, 1) * 1e6:.1f} us per delivery"
        f" ({cpu / wall * 100:.0f}% of one core); redis-server {redis_cpu:.2f} s"
    )
    print(
        f"  client processes' CPU {client_cpu:.1f} s"
        f" = {client_cpu / max(deliveries, 1) * 1e6:.1f} us per delivery"
    )
    if per_mutation:
        net = (cpu - per_mutation * events) / max(deliveries, 1)
        print(f"  less the mutations themselves (baseline): {net * 1e6:.1f} us per delivery")
    print(
        f"  per socket by sequence: duplicates {duplicates}, missing {missing}"
        f" (sockets missing any: {sockets_short}; readers that failed: {failed})"
    )
    print(
        f"  envelopes on the bus per event: {dict(sorted(Counter(on_bus).items()))}"
        " (1: published once)",
        flush=True,
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--practices", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--wake-events", type=int, default=200)
    parser.add_argument("--baseline-seconds", type=int, default=10)
    parser.add_argument(
        "--no-deflate", action="store_true", help="clients offer no per-message deflate"
    )
    parser.add_argument(
        "--ws-compression",
        action="store_true",
        help="the server accepts per-message deflate (AESCRM_WS_COMPRESSION=true)",
    )
    args = parser.parse_args()
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
    print(f"fan-out cluster: {os.cpu_count()} CPUs shared with the clients; load {_load()}")
    var_dir = Path(tempfile.mkdtemp(prefix="fanout-var-"))
    async with Redis() as redis, database() as url:
        boards = await seed(url, var_dir, args.practices)
        if args.wake_events:
            await relay_wake(url, redis.url, var_dir, boards, args.wake_events)
        assert redis.process is not None
        await fanout(url, redis.url, var_dir, boards, args, redis.process.pid)
    print(f"load after: {_load()}")
    shutil.rmtree(var_dir, ignore_errors=True)


def _load() -> str:
    return Path("/proc/loadavg").read_text().strip()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--client":
        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))
        try:
            import uvloop

            uvloop.run(client_main(sys.argv[2], sys.argv[3]))
        except ImportError:
            asyncio.run(client_main(sys.argv[2], sys.argv[3]))
    else:
        asyncio.run(main())
