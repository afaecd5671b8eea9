"""A real PgBouncer of the test's own, in transaction pooling mode, in front of a fresh database.

The binary comes from Debian's ``pgbouncer`` package (``.ci/run`` installs it); under CI=true a
missing one fails the test, elsewhere it skips with the reason. PgBouncer refuses to run as root,
so as root it is started with ``-u postgres`` (it reads its files before dropping privileges).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import asyncpg

from tests.databases import POSTGRES_URL, run_isolated, unavailable
from tests.realtime.harness import free_port

BINARY_PLACES = ("/usr/sbin/pgbouncer", "/usr/bin/pgbouncer")
# What a failure behind a transaction pooler looks like when statements are prepared by name.
PREPARED_STATEMENT_ERRORS = ("prepared statement", "__asyncpg_stmt_")


def binary() -> str:
    found = shutil.which("pgbouncer") or next(
        (place for place in BINARY_PLACES if os.access(place, os.X_OK)), None
    )
    if found is None:
        unavailable("pgbouncer", FileNotFoundError("apt-get install pgbouncer"))
    assert found is not None
    return found


def _upstream() -> tuple[str, int, str]:
    """Host, port and user of the test PostgreSQL (AESCRM_TEST_POSTGRES_URL)."""
    from urllib.parse import urlsplit

    parts = urlsplit(POSTGRES_URL)
    return parts.hostname or "127.0.0.1", parts.port or 5432, parts.username or "postgres"


class PgBouncer:
    """``pool_mode = transaction`` with ``pool_size`` server connections per database."""

    def __init__(self, root: Path, *, pool_size: int = 2) -> None:
        self.root = root
        self.port = free_port()
        self.pool_size = pool_size
        self.database = f"aescrm_pgb_{os.getpid()}_{uuid.uuid4().hex[:6]}"
        self.host, self.upstream_port, self.user = _upstream()
        self.log = root / "pgbouncer.log"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Through the pooler."""
        return f"postgres://{self.user}@127.0.0.1:{self.port}/{self.database}"

    @property
    def direct_url(self) -> str:
        return f"postgres://{self.user}@{self.host}:{self.upstream_port}/{self.database}"

    def config(self) -> str:
        return "\n".join(
            [
                "[databases]",
                f"{self.database} = host={self.host} port={self.upstream_port} "
                f"dbname={self.database}",
                "[pgbouncer]",
                "listen_addr = 127.0.0.1",
                f"listen_port = {self.port}",
                "unix_socket_dir =",
                "auth_type = trust",
                f"auth_file = {self.root / 'users.txt'}",
                "pool_mode = transaction",
                f"default_pool_size = {self.pool_size}",
                "max_client_conn = 500",
                # asyncpg sends no other start-up parameter; PgBouncer refuses unknown ones.
                "ignore_startup_parameters = extra_float_digits",
                "log_connections = 0",
                "log_disconnections = 0",
                "",
            ]
        )

    def start(self) -> PgBouncer:
        command = binary()
        run_isolated(self._create_database())
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / "users.txt").write_text(f'"{self.user}" ""\n')
        ini = self.root / "pgbouncer.ini"
        ini.write_text(self.config())
        argv = [command, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(argv, stdout=log, stderr=log)  # noqa: S603 - our argv
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"pgbouncer exited: {self.log.read_text()}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return self
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("pgbouncer did not start")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        run_isolated(self._drop_database())

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    async def _create_database(self) -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await connection.execute(f'CREATE DATABASE "{self.database}"')
        finally:
            await connection.close()

    async def _drop_database(self) -> None:
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')
        finally:
            await connection.close()

    async def server_connections(self) -> int:
        """Server connections PostgreSQL sees for the database (PgBouncer's, plus any direct)."""
        connection = await asyncpg.connect(POSTGRES_URL, timeout=5)
        try:
            count = await connection.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1", self.database
            )
        finally:
            await connection.close()
        return int(count)
