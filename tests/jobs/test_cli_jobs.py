"""``aescrm jobs list|retry|cancel`` and ``aescrm worker``, the real console script."""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
import time
from datetime import UTC, datetime

import pytest

from db.models import AuditEvent, Job, JobStatus
from graph.settings import Settings
from services.jobs import schedules
from tests.test_cli import AESCRM, ROOT, clean_env, run

pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _env(settings: Settings) -> dict[str, str]:
    return clean_env(
        AESCRM_DATABASE_URL=settings.database_url,
        AESCRM_VAR_DIR=str(settings.var_dir),
        AESCRM_LOG_LEVEL="WARNING",
    )


async def _dead(kind: str) -> Job:
    return await Job.create(
        kind=kind,
        payload={},
        status=JobStatus.DEAD,
        attempts=8,
        run_at=datetime.now(UTC),
        last_error="RuntimeError: smtp down",
        finished_at=datetime.now(UTC),
    )


async def test_list_retry_and_cancel(db: str, settings: Settings) -> None:
    env = _env(settings)
    dead = await _dead("test.cli_dead")
    queued = await Job.create(kind="test.cli_queued", payload={}, run_at=datetime.now(UTC))

    listed = [
        json.loads(line) for line in run("jobs", "list", "--json", env=env).stdout.splitlines()
    ]
    assert {row["id"]: row["status"] for row in listed} == {
        str(dead.id): "DEAD",
        str(queued.id): "QUEUED",
    }
    only_dead = run("jobs", "list", "--status", "dead", env=env).stdout
    assert str(dead.id) in only_dead
    assert str(queued.id) not in only_dead
    assert "RuntimeError: smtp down" in only_dead

    assert (
        run("jobs", "retry", str(dead.id), env=env).stdout.strip() == f"job {dead.id} queued again"
    )
    row = await Job.get(id=dead.id)
    assert (row.status, row.attempts) == (JobStatus.QUEUED, 0)
    assert await AuditEvent.exists(action="RETRY job", entity_id=str(dead.id))

    assert run("jobs", "cancel", str(queued.id), env=env).stdout.strip() == (
        f"job {queued.id} cancelled"
    )
    twice = run("jobs", "cancel", str(queued.id), env=env, check=False)
    assert twice.returncode == 2
    assert "cancelled job cannot be cancelled" in twice.stderr
    assert (await Job.get(id=queued.id)).status == JobStatus.CANCELLED
    unknown = run("jobs", "retry", "00000000-0000-4000-8000-000000000000", env=env, check=False)
    assert (unknown.returncode, unknown.stderr.strip()) == (2, "error: Job not found.")
    malformed = run("jobs", "retry", "nope", env=env, check=False)
    assert malformed.returncode == 2
    bad_status = run("jobs", "list", "--status", "LOST", env=env, check=False)
    assert bad_status.returncode == 2


def _start_worker(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own console script
        [str(AESCRM), "worker", "--name", "cli-worker"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


async def test_the_worker_runs_the_schedules_on_sqlite_and_stops_on_sigterm(
    db: str, settings: Settings
) -> None:
    # Its heap is trimmed as a server's is (graph/allocator), logged at DEBUG.
    trimming = {"AESCRM_MEMORY_TRIM_SECONDS": "0.1", "AESCRM_LOG_LEVEL": "DEBUG"}
    worker = _start_worker({**_env(settings), "AESCRM_JOBS_POLL_SECONDS": "0.2", **trimming})
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = await Job.filter(status=JobStatus.DONE).count()
            if done >= len(schedules.SCHEDULES):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1.5)  # some 15 trims' time (the jobs can be done in less than one)
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.communicate()
    assert worker.returncode == 0, err
    kinds = sorted(await Job.filter(status=JobStatus.DONE).values_list("kind", flat=True))
    assert kinds == sorted(entry.kind for entry in schedules.SCHEDULES)
    assert out.strip() == f"worker stopped after {len(kinds)} jobs"
    assert '"heap trimmed"' in err
