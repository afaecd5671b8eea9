"""Real workers: ``aescrm worker`` processes killed with SIGKILL or stopped with SIGTERM, and
concurrent claimers that must never run one job twice (PostgreSQL, where workers run apart)."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from db.models import Job, JobStatus
from graph.settings import Settings
from services.jobs.queue import enqueue
from services.jobs.runner import current_job, run_due
from tests.jobs.support import handler

ROOT = Path(__file__).resolve().parents[2]
postgres_only = pytest.mark.parametrize("backend", ["postgres"], indirect=True)


class WorkerProcess:
    """``aescrm worker`` (with the test handlers) as a real subprocess."""

    def __init__(self, settings: Settings, name: str, **env: str) -> None:
        values = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
        values.update(
            AESCRM_DATABASE_URL=settings.database_url,
            AESCRM_VAR_DIR=str(settings.var_dir),
            AESCRM_JOBS_LEASE_SECONDS="5",
            AESCRM_JOBS_POLL_SECONDS="0.2",
            AESCRM_JOBS_SCHEDULES="false",
            AESCRM_LOG_LEVEL="INFO",  # "job worker … started": see ``ready``
        )
        values.update(env)
        self.name = name
        command = [sys.executable, "-m", "tests.jobs.worker_process", "worker", "--name", name]
        self.log = settings.var_dir.parent / f"{name}.stderr"
        with self.log.open("wb") as stderr:
            self.process = subprocess.Popen(  # noqa: S603 - our own module, fixed arguments
                command, env=values, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr
            )

    async def ready(self, within: float = 120) -> None:
        """Until the worker has logged that it started: its SIGTERM handler is in place by
        then. On a loaded machine a worker may still be importing when its partner has run
        every job, and a SIGTERM then would end it with the default action, not a shutdown."""
        started = f"job worker {self.name} started"
        await _until(lambda: started in self.log.read_text(errors="replace"), within=within)

    def signal(self, sig: int) -> None:
        self.process.send_signal(sig)

    def wait(self, timeout: float = 30) -> int:
        code = self.process.wait(timeout)
        if code not in (0, -signal.SIGKILL):
            raise AssertionError(self.log.read_text(errors="replace")[-3000:])
        return code

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)


@pytest.fixture
def workers(settings: Settings) -> Iterator[Callable[..., WorkerProcess]]:
    started: list[WorkerProcess] = []

    def start(name: str, **env: str) -> WorkerProcess:
        started.append(WorkerProcess(settings, name, **env))
        return started[-1]

    yield start
    for worker in started:
        worker.stop()


async def _until(check: Callable[[], Any], within: float = 120.0) -> Any:
    """Until ``check`` holds; the ceiling is generous because a worker process on a loaded
    2-core machine can take half a minute to import and start."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        found = check()
        if asyncio.iscoroutine(found):
            found = await found
        if found:
            return found
        await asyncio.sleep(0.1)
    raise AssertionError("timed out waiting")


def _lines(path: Path, prefix: str) -> list[list[str]]:
    if not path.exists():
        return []
    text = path.read_text(encoding="utf-8")
    return [line.split() for line in text.splitlines() if line.startswith(prefix + " ")]


@postgres_only
async def test_a_worker_killed_mid_job_leaves_it_to_another_after_the_lease(
    db: str, tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    log = tmp_path / "effects.log"
    await enqueue("test.effect", {"log": str(log), "id": "e1", "sleep_first": 120}, key="e1")
    first = workers("worker-a")
    await _until(lambda: _lines(log, "start"))
    # The second worker is up before the kill, so the bound below times the takeover (lease
    # run out, then a poll), not a process start on a loaded machine. While the first lives,
    # it extends its lease, and the second leaves the job alone.
    second = workers("worker-b")
    await second.ready()
    assert len(_lines(log, "start")) == 1
    killed_at = time.time()
    first.signal(signal.SIGKILL)
    assert first.wait() == -signal.SIGKILL
    (row,) = await Job.filter(key="e1")
    assert (row.status, row.locked_by, row.attempts) == (JobStatus.RUNNING, "worker-a", 1)
    assert row.locked_until is not None

    await _until(lambda: _lines(log, "done"), within=60)
    starts = _lines(log, "start")
    assert [(s[1], s[2]) for s in starts] == [("e1", "1"), ("e1", "2")]
    assert float(starts[1][4]) >= row.locked_until.timestamp() - 0.5  # not before the lease ran out
    assert float(starts[1][4]) - killed_at < 15
    assert len(_lines(log, "done")) == 1
    (row,) = await Job.filter(key="e1")
    assert (row.status, row.attempts, row.locked_by) == (JobStatus.DONE, 2, None)
    second.signal(signal.SIGTERM)
    assert second.wait() == 0


@postgres_only
async def test_sigterm_lets_the_running_job_finish(
    db: str, tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    log = tmp_path / "effects.log"
    await enqueue("test.effect", {"log": str(log), "id": "t1", "sleep": 2}, key="t1")
    worker = workers("worker-t", AESCRM_SHUTDOWN_GRACE_SECONDS="20")
    await _until(lambda: _lines(log, "start"))
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0
    assert len(_lines(log, "done")) == 1
    (row,) = await Job.filter(key="t1")
    assert row.status == JobStatus.DONE


@postgres_only
async def test_sigterm_past_the_grace_releases_the_job_unrun(
    db: str, tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    log = tmp_path / "effects.log"
    await enqueue("test.effect", {"log": str(log), "id": "g1", "sleep": 120}, key="g1")
    worker = workers("worker-g", AESCRM_SHUTDOWN_GRACE_SECONDS="1")
    await _until(lambda: _lines(log, "start"))
    worker.signal(signal.SIGTERM)
    assert worker.wait() == 0
    (row,) = await Job.filter(key="g1")
    assert (row.status, row.attempts, row.locked_by) == (JobStatus.QUEUED, 0, None)
    assert row.run_at <= datetime.now(UTC)
    assert _lines(log, "done") == []


@postgres_only
async def test_two_worker_processes_share_the_queue_and_run_each_job_once(
    db: str, tmp_path: Path, workers: Callable[..., WorkerProcess]
) -> None:
    log = tmp_path / "effects.log"
    for n in range(300):
        await enqueue("test.effect", {"log": str(log), "id": f"j{n}"}, key=f"j{n}")
    pair = [workers("worker-1"), workers("worker-2")]
    await _until(lambda: len(_lines(log, "done")) >= 300, within=90)
    for worker in pair:
        await worker.ready()
        worker.signal(signal.SIGTERM)
        assert worker.wait() == 0
    done = _lines(log, "done")
    assert sorted(d[1] for d in done) == sorted(f"j{n}" for n in range(300))
    assert len(_lines(log, "start")) == 300  # no job ran twice
    assert await Job.filter(kind="test.effect", status=JobStatus.DONE, attempts=1).count() == 300


@postgres_only
async def test_concurrent_run_due_calls_never_share_a_job(db: str) -> None:
    ran: list[tuple[str, object]] = []

    async def record(payload: dict[str, Any]) -> None:
        job = current_job()
        assert job is not None
        await asyncio.sleep(0.002)
        ran.append((str(payload["n"]), job.id))

    with handler("test.shared", record):
        for n in range(400):
            await enqueue("test.shared", {"n": n})
        counts = await asyncio.gather(*(run_due(limit=60, worker=f"claimer-{i}") for i in range(4)))
        while sum(counts) < 400:
            more = await asyncio.gather(
                *(run_due(limit=60, worker=f"claimer-{i}") for i in range(4))
            )
            assert sum(more) > 0
            counts = [a + b for a, b in zip(counts, more, strict=True)]
    assert sum(counts) == 400
    assert len(ran) == 400
    assert len({job_id for _, job_id in ran}) == 400
    assert await Job.filter(kind="test.shared", status=JobStatus.DONE, attempts=1).count() == 400


async def test_in_process_worker_loop_runs_jobs_and_stops(db: str) -> None:
    from services.jobs import config
    from services.jobs.worker import Worker

    seen: list[int] = []

    async def record(payload: dict[str, Any]) -> None:
        seen.append(int(payload["n"]))

    config.configure(config.JobsConfig(poll_seconds=0.05, schedules=False))
    try:
        with handler("test.loop", record):
            loop = Worker()
            task = asyncio.create_task(loop.run(grace=5))
            for n in range(5):
                await enqueue("test.loop", {"n": n})
            loop.wake()
            await _until(lambda: len(seen) == 5, within=10)
            later = datetime.now(UTC) + timedelta(seconds=0.5)
            await enqueue("test.loop", {"n": 5}, run_at=later)
            await _until(lambda: len(seen) == 6, within=10)
            loop.stop()
            await asyncio.wait_for(task, 10)
    finally:
        config.configure(config.JobsConfig())
    assert sorted(seen) == list(range(6))
