"""Benchmark: one authenticated GraphQL query over HTTP against a real uvicorn server.

For each backend (SQLite always, PostgreSQL with ``--postgres``) it creates a fresh database,
migrates and seeds it with the real CLI, starts ``aescrm serve`` on a free loopback port, takes a
token from ``aescrm dev-token`` and fires a fixed number of requests at a fixed concurrency. It
prints median and p99 latency, requests per second and the server's CPU time per request (from
``/proc/<pid>/stat``), then stops the server and drops what it created.

    .venv/bin/python bench/http_query.py [--requests 2000] [--concurrency 8] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
AESCRM = Path(sys.executable).parent / "aescrm"
HOST = "127.0.0.1"  # loopback only
POSTGRES_ADMIN_URL = os.environ.get(
    "AESCRM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432"
)
QUERY = "{ practices { id name timezone } organizations { name } }"
MAX_REQUESTS = 100_000
MAX_CONCURRENCY = 64
WARMUP = 50
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Figures:
    backend: str
    requests: int
    concurrency: int
    failures: int
    median_ms: float
    p99_ms: float
    requests_per_second: float
    server_cpu_ms_per_request: float

    def report(self) -> str:
        return (
            f"{self.backend:<9} requests={self.requests} concurrency={self.concurrency} "
            f"failures={self.failures}\n"
            f"          median={self.median_ms:.2f} ms  p99={self.p99_ms:.2f} ms  "
            f"throughput={self.requests_per_second:.0f} req/s  "
            f"server CPU={self.server_cpu_ms_per_request:.2f} ms/req"
        )


def aescrm(*args: str, env: dict[str, str], timeout: float = 300) -> str:
    result = subprocess.run(
        [str(AESCRM), *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"aescrm {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, from /proc (Linux)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # fields 14 and 15 of stat


@contextmanager
def sqlite_database(workdir: Path) -> Iterator[str]:
    yield f"sqlite://{workdir / 'bench.sqlite3'}"


@contextmanager
def postgres_database() -> Iterator[str]:
    name = f"aescrm_bench_{os.getpid()}_{uuid.uuid4().hex[:6]}"

    async def admin(statement: str) -> None:
        connection = await asyncpg.connect(f"{POSTGRES_ADMIN_URL}/postgres", timeout=5)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{POSTGRES_ADMIN_URL}/{name}"
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def server(env: dict[str, str], port: int) -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(
        [str(AESCRM), "serve", "--host", HOST, "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise SystemExit(f"the server exited during start-up:\n{error}")
            try:
                if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit("the server did not answer /healthz within 30 s")
            time.sleep(0.1)
        yield process
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def fire(url: str, token: str, requests: int, concurrency: int) -> tuple[list[float], int]:
    headers = {"authorization": f"Bearer {token}", "content-type": "application/json"}
    body = json.dumps({"query": QUERY}).encode()
    latencies: list[float] = []
    failures = 0
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:

        async def worker() -> None:
            nonlocal remaining, failures
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.post(url, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200 or "errors" in response.json():
                    failures += 1

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, failures


def run_backend(
    backend: str, database_url: str, workdir: Path, args: argparse.Namespace
) -> Figures:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env.update(
        AESCRM_DATABASE_URL=database_url,
        AESCRM_VAR_DIR=str(workdir / "var"),
        AESCRM_LOG_LEVEL="WARNING",
        AESCRM_RATE_LIMIT_PER_MINUTE=str(10 * MAX_REQUESTS),  # measure the query, not the 429s
        AESCRM_BUDGET_FIRST_PARTY_PER_MINUTE="10000000",
        AESCRM_BUDGET_PARTNER_PER_MINUTE="10000000",
    )
    print(f"[{backend}] migrating and seeding demo data …", file=sys.stderr)
    aescrm("migrate", env=env)
    aescrm("seed-demo", env=env)
    users = json.loads(aescrm("demo-users", "--json", env=env))
    email = next(u["email"] for u in users if u["role"] == args.role)
    token = aescrm("dev-token", email, env=env).strip()
    port = free_port()
    url = f"http://{HOST}:{port}/graphql"
    with server(env, port) as process:
        check = httpx.post(url, json={"query": QUERY}, headers={"authorization": f"Bearer {token}"})
        body = check.json()
        if check.status_code != 200 or body.get("errors") or not body["data"]["practices"]:
            raise SystemExit(f"the benchmark query does not work: {check.status_code} {body}")
        asyncio.run(fire(url, token, WARMUP, args.concurrency))
        cpu_before = cpu_seconds(process.pid)
        started = time.perf_counter()
        latencies, failures = asyncio.run(fire(url, token, args.requests, args.concurrency))
        elapsed = time.perf_counter() - started
        cpu_used = cpu_seconds(process.pid) - cpu_before
    ordered = sorted(latencies)
    return Figures(
        backend=backend,
        requests=len(latencies),
        concurrency=args.concurrency,
        failures=failures,
        median_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
        requests_per_second=len(latencies) / elapsed,
        server_cpu_ms_per_request=cpu_used * 1000 / len(latencies),
    )


def bounded(low: int, high: int) -> Callable[[str], int]:
    def parse(text: str) -> int:
        value = int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be between {low} and {high}")
        return value

    return parse


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=bounded(1, MAX_REQUESTS), default=2000)
    parser.add_argument("--concurrency", type=bounded(1, MAX_CONCURRENCY), default=8)
    parser.add_argument("--postgres", action="store_true", help="also run on a fresh PostgreSQL")
    parser.add_argument("--role", default="RECEPTIONIST", help="demo role whose token is used")
    args = parser.parse_args()

    print(f"query: {QUERY}")
    results: list[Figures] = []
    workdir = Path(tempfile.mkdtemp(prefix="aescrm-bench-"))
    try:
        with sqlite_database(workdir) as url:
            results.append(run_backend("sqlite", url, workdir, args))
        if args.postgres:
            with postgres_database() as url:
                results.append(run_backend("postgres", url, workdir / "pg", args))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    for figures in results:
        print(figures.report())
    if any(f.failures for f in results):
        raise SystemExit(1)


if __name__ == "__main__":
    main()
