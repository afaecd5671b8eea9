"""The stage the server benches share: a fresh PostgreSQL database (created, dropped at the end),
the real CLI (``aescrm migrate``, ``dev-token``, ``create-client``), ``aescrm serve --workers N``
with rate limits and budgets lifted (measure the work, not the limits), its worker processes
read from ``/proc``, and a bare keep-alive HTTP/1.1 client cheap enough that a 2-core box
measures the server rather than the client."""

from __future__ import annotations

import asyncio
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import asyncpg
import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
AESCRM = Path(sys.executable).parent / "aescrm"
ADMIN_URL = os.environ.get("AESCRM_BENCH_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432")
TICKS = os.sysconf("SC_CLK_TCK")


async def admin(statement: str) -> None:
    """One statement on the ``postgres`` database (CREATE / DROP DATABASE)."""
    connection = await asyncpg.connect(f"{ADMIN_URL}/postgres")
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def fresh_database(name: str) -> Iterator[str]:
    """A new empty database ``name``; its URL; dropped (connections forced out) at the end."""
    asyncio.run(admin(f"CREATE DATABASE {name}"))
    try:
        yield f"{ADMIN_URL}/{name}"
    finally:
        asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def server_env(url: str, var: str, **extra: str) -> dict[str, str]:
    """The environment of the CLI and server: limits lifted, access log off, quiet logs."""
    return {
        **os.environ,
        "AESCRM_DATABASE_URL": url,
        "AESCRM_VAR_DIR": var,
        "AESCRM_RATE_LIMIT_PER_MINUTE": "1000000",
        "AESCRM_BUDGET_FIRST_PARTY_PER_MINUTE": "10000000",
        "AESCRM_BUDGET_PARTNER_PER_MINUTE": "10000000",
        "AESCRM_ACCESS_LOG": "false",
        "AESCRM_LOG_LEVEL": "WARNING",
        # Each bench database its own relay lease on the shared Redis (another bench, or the
        # test suite, may be running its own deployment there at the same time).
        "AESCRM_RELAY_KEY_PREFIX": f"aescrm-bench:{url.rsplit('/', 1)[-1]}:relay:",
        **extra,
    }


def cli(env: dict[str, str], *args: str) -> str:
    """Runs ``aescrm <args>``; its last line of output (a token, a JSON document)."""
    done = subprocess.run(
        [str(AESCRM), *args], env=env, check=True, cwd=ROOT, capture_output=True, text=True
    )
    lines = done.stdout.strip().splitlines()
    return lines[-1] if lines else ""


def raise_fd_limit() -> None:
    """Soft open-files limit up to the hard one: thousands of sockets, here and in the server
    (its processes inherit it)."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, 65536), hard))


@contextmanager
def serve(env: dict[str, str], port: int, workers: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """``aescrm serve`` as production starts it, healthy before this yields; SIGINT at the end."""
    server = subprocess.Popen(
        [str(AESCRM), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_healthy(port, server)
        yield server
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_healthy(port: int, server: subprocess.Popen[bytes], seconds: float = 300) -> None:
    """Until ``/healthz`` answers: a loaded 2-core box has taken over a minute to start two
    workers; a server that exited fails at once."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server exited with {server.returncode} before it was healthy")
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server on port {port} did not become healthy in {seconds:.0f} s")


def cpu_ticks(pids: list[int]) -> int:
    total = 0
    for pid in pids:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        total += int(fields[11]) + int(fields[12])
    return total


def workers_of(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True).stdout
    return [int(p) for p in found.split()]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Keepalive:
    """One HTTP/1.1 keep-alive connection sending prepared requests: a client costing a
    fraction of httpx's CPU, so that on a 2-core box the server, not the client, is measured."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int) -> Keepalive:
        return cls(*await asyncio.open_connection("127.0.0.1", port))

    async def send(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.lower().split(b"\r\n"):
            if line.startswith(b"content-length:"):
                length = int(line[15:])
        return int(head[9:12]), await self.reader.readexactly(length)

    def close(self) -> None:
        self.writer.close()


def post(port: int, path: str, body: bytes, headers: dict[str, str]) -> bytes:
    """A prepared HTTP/1.1 POST for ``Keepalive.send``."""
    lines = [f"POST {path} HTTP/1.1", f"host: 127.0.0.1:{port}", f"content-length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body
