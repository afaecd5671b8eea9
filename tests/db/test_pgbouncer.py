"""The service behind a real PgBouncer in transaction pooling mode (README "Behind PgBouncer").

PgBouncer (the test's own, two server connections) hands every transaction to whichever server
connection is free, so the server's, the job worker's and this test's connections share two
PostgreSQL sessions: nothing may rely on session state (named prepared statements, session
advisory locks, SET, LISTEN). Migrations, login, concurrent bookings refused by the diary lock,
the board, a live subscription fed by the outbox relay over Redis, and jobs all run through it.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from tortoise.backends.base.config_generator import expand_db_url

from db.config import pooled_url
from db.models import DomainEvent, Job, JobStatus, ProcessKeys
from services.jobs import queue
from tests import factories
from tests.databases import REDIS_URL, redis_reachable
from tests.graph.test_schedule_board import BOARD
from tests.graph.test_schedule_booking import BOOK, booking
from tests.pgbouncer_support import PREPARED_STATEMENT_ERRORS, PgBouncer
from tests.realtime.harness import ROOT, Client, Server, orm, server_env
from tests.scheduling_fixtures import Diary, diary, iso
from tests.test_cli import run

LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(input: {email: $email, password: $password}) {
    session { accessToken mfaEnrolmentRequired }
  }
}"""
SLOTS = [(10, 0), (10, 30), (11, 0), (11, 30), (12, 0), (12, 30)]
TRIES_PER_SLOT = 3  # concurrent bookings of the same slot: the diary lock lets one through


@pytest.fixture
def bouncer(tmp_path: Path) -> Iterator[PgBouncer]:
    server = PgBouncer(tmp_path / "pgbouncer", pool_size=2).start()
    try:
        yield server
    finally:
        server.stop()


async def post(http: httpx.AsyncClient, query: str, variables: dict[str, Any], token: str) -> Any:
    response = await http.post(
        "/graphql",
        json={"query": query, "variables": variables},
        headers={"authorization": f"Bearer {token}"} if token else {},
    )
    return response.json()


def start_worker(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-c", "from graph.cli import app; app()", "worker"]
    with log.open("ab") as stderr:
        return subprocess.Popen(command, env=env, cwd=ROOT, stderr=stderr)  # noqa: S603


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def wait_for_jobs(kinds: list[str]) -> list[str]:
    deadline = time.monotonic() + 90  # a loaded 2-core box runs the worker slowly
    while True:
        statuses = [
            (await Job.get(kind=kind, key="pgbouncer-test")).status for kind in sorted(kinds)
        ]
        if all(status == JobStatus.DONE for status in statuses) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.2)


async def test_the_service_runs_behind_a_transaction_pooling_pgbouncer(
    bouncer: PgBouncer, tmp_path: Path
) -> None:
    redis_reachable()
    var_dir = tmp_path / "var"
    env = server_env(
        bouncer.url,
        var_dir,
        bus=REDIS_URL,
        AESCRM_DATABASE_POOLER="pgbouncer",
        AESCRM_KEY_RELOAD_SECONDS="0.5",
        AESCRM_JOBS_IN_PROCESS="false",
        AESCRM_LOG_LEVEL="INFO",
    )
    # Given the schema migrated through the pooler,
    migrated = run("migrate", env=env, timeout=600)
    assert "migrations applied" in migrated.stdout, migrated.stdout + migrated.stderr
    async with orm(pooled_url(bouncer.url), var_dir):
        d: Diary = await diary()
        patients = [await factories.patient(d.practice) for _ in range(len(SLOTS) * 2)]
        kinds = ["maintenance.expire_holds", "maintenance.prune_jobs"]
        for kind in kinds:
            assert await queue.enqueue(kind, {}, key="pgbouncer-test")
    server_log, worker_log = tmp_path / "server.log", tmp_path / "worker.log"
    server = Server(env, workers=2, log=server_log).start()
    worker = start_worker(env, worker_log)
    try:
        async with (
            httpx.AsyncClient(base_url=server.http, timeout=30) as http,
            Client.connect(server, d.token) as subscriber,
        ):
            # a receptionist logs in (password check, session rows, throttle bookkeeping),
            login = await post(
                http, LOGIN, {"email": d.receptionist.email, "password": factories.PASSWORD}, ""
            )
            assert "errors" not in login, login
            assert login["data"]["login"]["session"]["accessToken"]
            await subscriber.subscribe("board", d.practice.id)
            assert await subscriber.quiet(0.5)

            # when every slot is booked by several clients at once,
            day = d.at(7, 0).date()
            calls = []
            for n, (hour, minute) in enumerate(SLOTS):
                start = iso(d.at(7, hour, minute))
                for k in range(TRIES_PER_SLOT):
                    patient = patients[(n * 2 + k) % len(patients)]
                    variables = booking(d, start, patientId=str(patient.id))
                    calls.append(post(http, BOOK, variables, d.token))
            results = await asyncio.gather(*calls)
            during = await bouncer.server_connections()

            # then the diary lock let exactly one booking per slot through and refused the rest,
            booked = [r for r in results if "errors" not in r]
            refused = [r for r in results if "errors" in r]
            assert len(booked) == len(SLOTS), results
            codes = {e["extensions"]["code"] for r in refused for e in r["errors"]}
            assert codes == {"CONFLICT"}, refused
            starts = sorted(r["data"]["bookAppointment"]["appointment"]["startsAt"] for r in booked)
            assert len(set(starts)) == len(SLOTS)
            # the subscriber got each booking once, in sequence (relay → Redis → fan-out),
            events = await subscriber.events(len(SLOTS), wait=30)
            sequences = [event["sequence"] for event in events]
            assert sequences == sorted(set(sequences)), sequences
            assert await subscriber.quiet(1.0)
            # the board shows them,
            window = {
                "practiceId": str(d.practice.id),
                "from": iso(d.at(7, 0)),
                "to": iso(d.at(7, 0) + timedelta(days=1)),
            }
            board = await post(http, BOARD, window, d.token)
            assert "errors" not in board, board
            assert len(board["data"]["schedule"]["appointments"]) == len(SLOTS)
            assert day.isoformat() in board["data"]["schedule"]["appointments"][0]["startsAt"]

        async with orm(pooled_url(bouncer.url), var_dir):
            # the job worker ran the queued jobs, the relay marked every event published,
            assert await wait_for_jobs(kinds) == [JobStatus.DONE] * len(kinds)
            unpublished = await DomainEvent.filter(
                practice_id=d.practice.id, published_at__isnull=True
            ).count()
            assert unpublished == 0
            # and both server workers and the job worker report their keys through the pooler.
            kinds_alive = sorted(row.kind for row in await ProcessKeys.all())
            assert kinds_alive == ["server", "server", "worker"]
    finally:
        server.stop(timeout=30)  # SIGKILL of the parent would orphan its workers
        stop(worker)
    # PostgreSQL saw only PgBouncer's two server connections, shared by every client.
    assert during <= bouncer.pool_size
    logs = server_log.read_text() + worker_log.read_text() + bouncer.log_text()
    for needle in (*PREPARED_STATEMENT_ERRORS, "already exists", "Traceback"):
        assert needle not in logs, needle


async def hammer(url: str, **pool_options: Any) -> list[str]:
    """300 queries from six client connections at once; the errors PostgreSQL answered."""
    errors: list[str] = []
    pool = await asyncpg.create_pool(url, min_size=6, max_size=6, **pool_options)

    async def one(n: int) -> None:
        try:
            await pool.fetchval(f"SELECT $1::int + {n % 5}", n)
        except asyncpg.PostgresError as error:
            errors.append(str(error))

    try:
        await asyncio.gather(*(one(n) for n in range(300)))
    finally:
        await pool.close()
    return errors


async def test_named_prepared_statements_break_behind_pgbouncer_and_the_setting_avoids_them(
    bouncer: PgBouncer,
) -> None:
    # asyncpg's default (a statement cache, so named statements) fails behind the pooler:
    # the control that shows this test can fail.
    errors = await hammer(bouncer.url)
    assert errors, "named statements survived transaction pooling: is this really PgBouncer?"
    assert all(any(n in e for n in PREPARED_STATEMENT_ERRORS) for e in errors), errors[:3]
    # AESCRM_DATABASE_POOLER=pgbouncer turns the statement cache off (Tortoise passes the URL's
    # statement_cache_size to asyncpg), and then nothing goes wrong.
    credentials = expand_db_url(pooled_url(bouncer.url))["credentials"]
    assert credentials["statement_cache_size"] == 0
    assert await hammer(bouncer.url, statement_cache_size=0) == []
