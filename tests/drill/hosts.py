"""The drill's own servers, each started inside its host's namespace: PostgreSQL (initdb into a
fresh directory, run as ``postgres`` through ``runuser``: it refuses root), Redis, and the app
(``aescrm migrate`` then ``aescrm serve``, exactly as production starts it)."""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import redis

from tests.drill.network import Host
from tests.realtime.harness import ROOT

APP_PORT = 8000
IDLE_IN_TRANSACTION = "10s"


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory (Debian layout)."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4])
    )
    return Path(found[-1]).parent if found else None


def wait_for(what: str, ready: object, timeout: float, interval: float = 0.1) -> None:
    """Polls ``ready()`` until it is true; fails naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            if ready():  # type: ignore[operator]
                return
        time.sleep(interval)
    raise AssertionError(f"{what} not ready after {timeout:.0f} s")


class Postgres:
    """A private cluster listening on the host's address only (trust for the drill subnet)."""

    def __init__(self, host: Host, subnet: str, binaries: Path, log_dir: Path) -> None:
        self.host = host
        self.binaries = binaries
        self.base = Path(tempfile.mkdtemp(prefix="aescrm-drill-pg-"))  # tmp_path is root-only
        self.data = self.base / "data"
        self.log = self.base / "postgres.log"  # copied to log_dir at the end
        self.log_dir = log_dir
        self.subnet = subnet
        self.url = f"postgres://postgres@{host.address}:5432/postgres"

    def _as_postgres(self, *argv: str, timeout: float = 60) -> None:
        command = self.host.command("runuser", "-u", "postgres", "--", *argv)
        result = subprocess.run(command, capture_output=True, text=True, timeout=timeout)  # noqa: S603
        if result.returncode != 0:
            raise RuntimeError(f"{argv[0]} failed: {result.stdout}{result.stderr}")

    def create(self) -> Postgres:
        shutil.chown(self.base, "postgres", "postgres")
        initdb = str(self.binaries / "initdb")
        self._as_postgres(
            initdb, "-D", str(self.data), "-U", "postgres", "-A", "trust", "--no-sync"
        )
        with (self.data / "pg_hba.conf").open("a") as hba:
            hba.write(f"host all all {self.subnet} trust\n")
        with (self.data / "postgresql.conf").open("a") as conf:
            conf.write(
                f"listen_addresses = '{self.host.address}'\nport = 5432\n"
                f"unix_socket_directories = '{self.base}'\n"
                "fsync = off\nfull_page_writes = off\nshared_buffers = 32MB\n"
                "max_connections = 200\n"
                # As production must: a host cut off mid-transaction would otherwise hold its
                # organization's audit-chain lock until TCP gives up (2 h by default).
                f"idle_in_transaction_session_timeout = '{IDLE_IN_TRANSACTION}'\n"
                # and a lost host's sessions end in ~11 s: idle ones by keepalive, ones whose
                # answer was never acknowledged (they wait mid-statement) by tcp_user_timeout.
                "tcp_keepalives_idle = 5\ntcp_keepalives_interval = 2\ntcp_keepalives_count = 3\n"
                "tcp_user_timeout = 10000\n"
            )
        return self

    def start(self) -> None:
        pg_ctl = str(self.binaries / "pg_ctl")
        self._as_postgres(
            pg_ctl, "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start"
        )

    def stop(self) -> None:
        pg_ctl = str(self.binaries / "pg_ctl")
        self._as_postgres(pg_ctl, "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def snapshot(self) -> None:
        """Writes pg_stat_activity next to the logs (what held what when the drill ended)."""
        query = (
            "SELECT pid, client_addr, state, wait_event_type, wait_event, xact_start, "
            "left(query, 80) FROM pg_stat_activity WHERE backend_type = 'client backend'"
        )
        with contextlib.suppress(Exception), (self.log_dir / "pg_activity.txt").open("w") as out:
            psql = str(self.binaries / "psql")
            argv = [psql, self.url, "-c", query]
            subprocess.run(argv, stdout=out, stderr=out, timeout=10, check=False)  # noqa: S603

    def destroy(self) -> None:
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(Exception):
                pg_ctl = str(self.binaries / "pg_ctl")
                self._as_postgres(pg_ctl, "-D", str(self.data), "-m", "immediate", "stop")
        with contextlib.suppress(OSError):
            shutil.copy(self.log, self.log_dir / "postgres.log")
        shutil.rmtree(self.base, ignore_errors=True)


class Redis:
    """A redis-server of its own on the host's address: no persistence, so a restart is empty."""

    def __init__(self, host: Host, log_dir: Path) -> None:
        self.host = host
        self.log = log_dir / "redis.log"
        self.url = f"redis://{host.address}:6379/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        argv = ["redis-server", "--bind", self.host.address, "--port", "6379"]
        argv += ["--save", "", "--appendonly", "no", "--protected-mode", "no"]
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(self.host.command(*argv), stdout=out, stderr=out)  # noqa: S603
        client = redis.Redis(host=self.host.address, port=6379, socket_timeout=1)
        try:
            wait_for("redis", client.ping, timeout=15)
        finally:
            client.close()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()  # ip netns exec execs: this is redis-server itself
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class App:
    """``aescrm serve`` bound to the host's address, its stderr in ``log``."""

    def __init__(self, host: Host, env: dict[str, str], log_dir: Path) -> None:
        self.host = host
        self.env = env
        self.log = log_dir / f"app-{host.address}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.http = f"http://{host.address}:{APP_PORT}"
        self.ws = f"ws://{host.address}:{APP_PORT}/graphql"

    def _cli(self, *args: str) -> list[str]:
        return self.host.command(sys.executable, "-c", "from graph.cli import app; app()", *args)

    def migrate(self) -> None:
        result = subprocess.run(  # noqa: S603
            self._cli("migrate"),
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        if result.returncode != 0:
            raise RuntimeError(f"aescrm migrate failed: {result.stdout}{result.stderr}")

    def launch(self) -> None:
        argv = self._cli("serve", "--host", self.host.address, "--port", str(APP_PORT))
        with self.log.open("ab") as err:
            self.process = subprocess.Popen(argv, env=self.env, cwd=ROOT, stderr=err)  # noqa: S603

    def ready(self, timeout: float = 180) -> None:
        def answers() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"app exited with {self.process.returncode}; see {self.log}")
            with httpx.Client(trust_env=False, timeout=1) as client:
                return client.get(f"{self.http}/readyz").status_code == 200

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if answers():
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"app on {self.host.address} not ready after {timeout:.0f} s")

    def stop(self, grace: float = 10) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def missing_prerequisites() -> str | None:
    """Why the drill cannot run on this machine, or None."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "runuser", "redis-server"):
        if shutil.which(tool) is None:
            return f"needs `{tool}` on PATH"
    if postgres_bin() is None:
        return "needs PostgreSQL server binaries (/usr/lib/postgresql/*/bin)"
    with contextlib.suppress(KeyError):
        import pwd

        pwd.getpwnam("postgres")
        return None
    return "needs a `postgres` system user to run PostgreSQL as"
