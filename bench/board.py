"""Benchmark: the reception board (``schedule``) over HTTP against a real 2-worker server.

Creates a fresh PostgreSQL database, migrates it, seeds 12 practitioners, 8 rooms, 20,000
patients and 300 appointments in one day, starts ``aescrm serve --workers 2``, and fires
board queries at a fixed concurrency from bare keep-alive HTTP/1.1 connections (a client
costing a fraction of httpx's CPU, so the 2-core box measures the server). Prints requests/s,
p50/p99 latency, the server's CPU milliseconds per request (from /proc/<pid>/stat of the worker
processes), the client's own CPU per request and the load average, then cleans up.

    .venv/bin/python bench/board.py [--requests 1000] [--concurrency 16] [--profile py-spy]

``--in-process`` runs the app inside this process instead (no server, no client: requests go
straight into the ASGI app) and reports CPU milliseconds per request from
``time.process_time``; add ``--profile py-spy``, ``cprofile`` or ``pyinstrument`` (py-spy and
pyinstrument: ``.venv/bin/pip install -e '.[profile]'``) to see where it goes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from testbed import (  # the stage shared with the other server benches
    AESCRM,
    TICKS,
    Keepalive,
    cli,
    cpu_ticks,
    free_port,
    fresh_database,
    post,
    serve,
    server_env,
    workers_of,
)

DAY = date(2030, 1, 15)
QUERY = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id startsAt endsAt status
      patient { id firstName lastName hasMedicalAlert }
      practitioner { id displayName colour } room { id name } appointmentType { id name colour } }
  }
}"""


async def seed(url: str) -> tuple[str, str]:
    """Seeds through the ORM; returns (practice id, receptionist email)."""
    from db.config import close_database, open_database
    from db.models import (
        Appointment,
        AppointmentType,
        Membership,
        Organization,
        Patient,
        Practice,
        Practitioner,
        Room,
        User,
    )

    await open_database(url)
    try:
        org = await Organization.create(name="Bench", slug=f"bench-{uuid.uuid4().hex[:6]}")
        practice = await Practice.create(organization=org, name="Bench Dental")
        email = f"reception-{uuid.uuid4().hex[:6]}@bench.test"
        desk = await User.create(email=email, full_name="Desk", password_hash="x")  # noqa: S106 - never logs in
        await Membership.create(user=desk, practice=practice, role="RECEPTIONIST")
        rooms = [await Room.create(practice_id=practice.id, name=f"Surgery {n}") for n in range(8)]
        kinds = [
            await AppointmentType.create(practice_id=practice.id, name=f"T{n}", duration_minutes=20)
            for n in range(6)
        ]
        people = []
        for n in range(12):
            user = await User.create(email=f"d{n}-{email}", full_name=f"Dr {n}", password_hash="x")  # noqa: S106 - never logs in
            await Membership.create(user=user, practice=practice, role="DENTIST")
            people.append(
                await Practitioner.create(
                    practice_id=practice.id,
                    user_id=user.id,
                    display_name=user.full_name,
                    role="DENTIST",
                    default_room_id=rooms[n % 8].id,
                )
            )
        now = datetime.now(UTC)
        patients = [
            Patient(
                id=uuid.uuid4(),
                practice_id=practice.id,
                patient_number=n,
                first_name=f"Pat{n}",
                last_name=f"Ient{n}",
                search_name=f"ient{n} pat{n}",
                date_of_birth=date(1980, 1, 1),
                has_medical_alert=n % 7 == 0,
                last_activity_at=now,
            )
            for n in range(1, 20_001)
        ]
        await Patient.bulk_create(patients, batch_size=2000)
        start = datetime(DAY.year, DAY.month, DAY.day, 8, tzinfo=UTC)
        rows = [
            Appointment(
                practice_id=practice.id,
                patient_id=patients[n * 61].id,
                practitioner_id=people[n % 12].id,
                room_id=rooms[n % 8].id,
                appointment_type_id=kinds[n % 6].id,
                starts_at=start + timedelta(minutes=20 * (n // 12)),
                ends_at=start + timedelta(minutes=20 * (n // 12) + 20),
            )
            for n in range(300)
        ]
        await Appointment.bulk_create(rows)
        return str(practice.id), email
    finally:
        await close_database()


def board_request(port: int, token: str, practice: str) -> bytes:
    variables = {"practiceId": practice, "from": f"{DAY}T00:00:00Z", "to": f"{DAY}T23:59:00Z"}
    body = orjson.dumps({"query": QUERY, "variables": variables})
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    return post(port, "/graphql", body, headers)


async def fire(
    port: int, token: str, practice: str, total: int, concurrency: int
) -> tuple[list[float], int]:
    request = board_request(port, token, practice)
    latencies: list[float] = []
    failures = 0
    queue = iter(range(total))

    async def worker() -> None:
        nonlocal failures
        connection = await Keepalive.open(port)
        try:
            for _ in queue:
                began = time.perf_counter()
                status, body = await connection.send(request)
                latencies.append((time.perf_counter() - began) * 1000)
                data = orjson.loads(body)
                if status != 200 or data.get("errors") or len(_appointments(data)) != 300:
                    failures += 1
        finally:
            connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures


def _appointments(data: Any) -> list[Any]:
    return list(data["data"]["schedule"]["appointments"])


async def in_process(url: str, var: str, token: str, practice: str, args: Any) -> None:
    """The app in this process over ASGI: CPU per request without a server or sockets."""
    from graph.app import create_app
    from graph.settings import Settings

    settings = Settings(
        database_url=url,
        var_dir=Path(var),
        rate_limit_per_minute=10**6,
        budget_first_party_per_minute=10**7,  # measure the work, not the budgets
        budget_partner_per_minute=10**7,
        log_level="WARNING",
    )
    app = create_app(settings)
    variables = {"practiceId": practice, "from": f"{DAY}T00:00:00Z", "to": f"{DAY}T23:59:00Z"}
    body = {"query": QUERY, "variables": variables}
    headers = {"authorization": f"Bearer {token}"}
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
            for _ in range(50):  # warm-up, and a correctness check
                data = (await http.post("/graphql", json=body, headers=headers)).json()
                assert not data.get("errors"), data["errors"]
                assert len(data["data"]["schedule"]["appointments"]) == 300

            call = asgi_call(app, orjson.dumps(body), token)

            async def run(count: int) -> None:
                for _ in range(count):
                    await call()

            began = time.process_time()
            await run(args.requests)
            used = time.process_time() - began
            print(
                f"board in process: {args.requests} sequential requests, "
                f"CPU={used * 1000 / args.requests:.2f} ms/req (the app, called over ASGI)"
            )
            if args.profile == "cprofile":
                import cProfile
                import pstats

                calls = cProfile.Profile(time.process_time)  # CPU, not waiting on SQL
                calls.enable()
                await run(min(args.requests, 200))
                calls.disable()
                stats = pstats.Stats(calls)
                stats.sort_stats("tottime").print_stats(30)
                stats.sort_stats("cumulative").print_stats(40)
            elif args.profile == "py-spy":
                spy = _spy(os.getpid(), Path(var))
                await asyncio.sleep(1)  # attached
                await run(args.requests)
                spy.send_signal(signal.SIGINT)
                spy.wait(timeout=60)
                print(spy_report([Path(var, f"spy-{os.getpid()}.txt")], top=45))
            elif args.profile == "pyinstrument":
                from pyinstrument import Profiler

                profiler = Profiler(interval=0.001, async_mode="enabled")
                profiler.start()
                await run(min(args.requests, 200))
                profiler.stop()
                print(profiler.output_text(unicode=False, color=False, show_all=False))


def asgi_call(app: Any, body: bytes, token: str) -> Callable[[], Awaitable[None]]:
    """One board request straight into the ASGI app: no HTTP client in the CPU figure."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"bench"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"authorization", f"Bearer {token}".encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("bench", 80),
    }

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start" and message["status"] != 200:
            raise RuntimeError(f"status {message['status']}")

    async def call() -> None:
        await app(dict(scope), receive, send)

    return call


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--in-process", action="store_true", help="no server: CPU per request")
    parser.add_argument(
        "--profile", choices=["none", "cprofile", "pyinstrument", "py-spy"], default="none"
    )
    args = parser.parse_args()
    name = f"aescrm_bench_board_{uuid.uuid4().hex[:8]}"
    var = tempfile.mkdtemp(prefix="aescrm-bench-")
    port = free_port()
    with fresh_database(name) as url:
        env = server_env(url, var)
        cli(env, "migrate")
        practice, email = asyncio.run(seed(url))
        token = cli(env, "dev-token", email)
        if args.in_process:
            asyncio.run(in_process(url, var, token, practice, args))
            return
        with serve(env, port) as server:
            measure(server, port, var, token, practice, args)


def measure(
    server: subprocess.Popen[bytes], port: int, var: str, token: str, practice: str, args: Any
) -> None:
    """Warm-up, then ``--requests`` board requests; prints the figures."""
    uvloop.run(fire(port, token, practice, 100, args.concurrency))  # warm-up
    pids = workers_of(server.pid)
    spies = [_spy(pid, Path(var)) for pid in pids] if args.profile == "py-spy" else []
    before, began, client = cpu_ticks(pids), time.perf_counter(), time.process_time()
    latencies, failures = uvloop.run(fire(port, token, practice, args.requests, args.concurrency))
    elapsed, used = time.perf_counter() - began, cpu_ticks(pids) - before
    client = time.process_time() - client
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        spy.wait(timeout=60)
    latencies.sort()
    if spies:
        print(spy_report([Path(var, f"spy-{pid}.txt") for pid in pids]))
    print(
        f"board: 300 appointments, {args.requests} requests, concurrency {args.concurrency}, "
        f"2 workers, failures={failures}"
    )
    print(
        f"  throughput={args.requests / elapsed:.1f} req/s  "
        f"p50={statistics.median(latencies):.1f} ms  "
        f"p99={latencies[int(len(latencies) * 0.99) - 1]:.1f} ms  "
        f"server CPU={used / TICKS * 1000 / args.requests:.1f} ms/req  "
        f"client CPU={client * 1000 / args.requests:.1f} ms/req  "
        f"load={' '.join(f'{n:.2f}' for n in os.getloadavg())}"
    )


def _spy(pid: int, folder: Path) -> subprocess.Popen[bytes]:
    """py-spy sampling one worker for the measured run (``-g``: samples holding the GIL)."""
    command = [str(AESCRM.parent / "py-spy"), "record", "-p", str(pid), "-r", "250", "-F", "-g"]
    command += ["--nonblocking", "-f", "raw", "-o", str(folder / f"spy-{pid}.txt")]
    return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


CATEGORIES = [
    ("authentication (token + one SQL join)", ["authenticate_token (sessions.py)"]),
    ("schedule resolver (SQL, decode, objects)", ["SchedulingQueries.schedule (scheduling.py)"]),
    ("  board + holds SQL and row decode", ["schedule (board.py)"]),
    ("  board objects from rows", ["schedule_appointments (board_rows.py)"]),
    ("bulk completion of the appointments", ["PlainList.complete (execution.py)"]),
    ("audit write (group commit task)", ["_GroupCommit._drain (audit.py)"]),
    ("JSON encode (orjson)", ["GraphQLEndpoint.encode_json (view.py)"]),
    ("GraphQL execution (all of it)", ["Schema.execute (schema.py)"]),
    ("HTTP server + ASGI stack", ["RequestResponseCycle.run_asgi (httptools_impl.py)"]),
]


def _frame(raw: str) -> str:
    """``function (path/file.py:line)`` as ``function (file.py)``."""
    name, _, where = raw.partition(" (")
    return f"{name} ({where.split(':')[0].rsplit('/', 1)[-1]})"


def spy_report(files: list[Path], top: int = 30) -> str:
    """Self and inclusive shares of on-CPU samples per function (py-spy raw format)."""
    own: dict[str, int] = {}
    inclusive: dict[str, int] = {}
    total = 0
    for file in files:
        for line in file.read_text().splitlines():
            stack, _, count = line.rpartition(" ")
            frames = [_frame(f) for f in stack.split(";")]
            n = int(count)
            total += n
            own[frames[-1]] = own.get(frames[-1], 0) + n
            for frame in set(frames):
                inclusive[frame] = inclusive.get(frame, 0) + n
    lines = [f"py-spy: {total} samples holding the GIL, {len(files)} processes"]
    lines.append("-- where the time goes (inclusive; parts may overlap) --")
    for title, frames in CATEGORIES:
        share = sum(inclusive.get(frame, 0) for frame in frames)
        lines.append(f"{100 * share / max(total, 1):5.1f}%  {title}")
    for title, table in (("self", own), ("inclusive", inclusive)):
        lines.append(f"-- {title} --")
        for name, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"{100 * n / total:5.1f}%  {name}")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
