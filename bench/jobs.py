"""The job runner end to end on PostgreSQL with real ``aescrm worker`` processes (issue 18).

Creates (and drops) its own database next to the test database and starts ``--workers`` worker
processes (the real ``worker`` command, with one bench handler registered: ``bench.reminder``,
which awaits ``--handler-ms`` to stand in for a provider call). Then:

1. throughput: ``--jobs`` jobs enqueued one per transaction (``unit_of_work`` + ``enqueue``, 8
   producers at once) while the workers run them; prints jobs per second from the first enqueue
   to the last job DONE (``job.finished_at``);
2. a burst: ``--burst`` jobs (default 10,000, the issue's reminders) all due at the same moment a
   few seconds ahead, enqueued beforehand in transactions of 500; prints the delay from the due
   time to DONE for each job: p50, p99 and the largest. Goal: all within 60 s.

    .venv/bin/python bench/jobs.py [--workers 2] [--jobs 5000] [--burst 10000] [--handler-ms 0]
        [--concurrency 10]
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
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.config import apply_migrations, close_database, open_database  # noqa: E402
from db.models import Job, JobStatus  # noqa: E402
from db.uow import unit_of_work  # noqa: E402
from services import runtime  # noqa: E402
from services.jobs.queue import enqueue  # noqa: E402
from services.jobs.registry import job_handler  # noqa: E402

BASE = os.environ.get("AESCRM_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/test")
KIND = "bench.reminder"
HANDLER_SECONDS = float(os.environ.get("AESCRM_BENCH_HANDLER_MS", "0")) / 1000


@job_handler(KIND)
async def reminder(payload: dict[str, Any]) -> None:
    if HANDLER_SECONDS:
        await asyncio.sleep(HANDLER_SECONDS)


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def _wait_done(prefix: str, count: int, within: float) -> None:
    deadline = time.monotonic() + within
    done = Job.filter(kind=KIND, key__startswith=prefix, status=JobStatus.DONE)
    while time.monotonic() < deadline:
        if await done.count() >= count:
            return
        await asyncio.sleep(0.25)
    raise SystemExit(f"only {await done.count()} of {count} done")


async def throughput(jobs: int) -> None:
    started = datetime.now(UTC)
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(jobs):
        queue.put_nowait(n)

    async def producer() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            async with unit_of_work():
                await enqueue(KIND, {"appointment_id": str(uuid.uuid4())}, key=f"t{n}")

    await asyncio.gather(*(producer() for _ in range(8)))
    enqueued = (datetime.now(UTC) - started).total_seconds()
    await _wait_done("t", jobs, within=600)
    rows = await Job.filter(kind=KIND, key__startswith="t").values_list("finished_at", flat=True)
    last: datetime = max(rows)  # type: ignore[assignment]
    seconds = (last - started).total_seconds()
    print(
        f"throughput: {jobs} jobs enqueued one per transaction in {enqueued:.1f} s "
        f"({jobs / enqueued:.0f}/s); all DONE after {seconds:.1f} s: {jobs / seconds:.0f} jobs/s "
        "end to end"
    )


async def burst(count: int, lead: float) -> None:
    due = datetime.now(UTC) + timedelta(seconds=lead)
    for start in range(0, count, 500):
        async with unit_of_work():
            for n in range(start, min(count, start + 500)):
                await enqueue(KIND, {"appointment_id": str(uuid.uuid4())}, key=f"b{n}", run_at=due)
    ready = (due - datetime.now(UTC)).total_seconds()
    if ready < 0:
        print(f"warning: enqueueing took longer than the lead ({-ready:.1f} s late)")
    await _wait_done("b", count, within=600 + lead)
    rows = await Job.filter(kind=KIND, key__startswith="b").values_list("run_at", "finished_at")
    delays = [(finished - run_at).total_seconds() for run_at, finished in rows]
    print(
        f"burst: {len(delays)} jobs due at once: delay from due time to DONE "
        f"p50 {statistics.median(delays):.2f} s, p99 {_percentile(delays, 0.99):.2f} s, "
        f"max {max(delays):.2f} s ({'within' if max(delays) <= 60 else 'NOT within'} 60 s)"
    )


def _start_workers(args: argparse.Namespace, url: str, var_dir: Path) -> list[Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AESCRM_")}
    env.update(
        AESCRM_DATABASE_URL=url,
        AESCRM_VAR_DIR=str(var_dir),
        AESCRM_JOBS_SCHEDULES="false",
        AESCRM_LOG_LEVEL="WARNING",
        AESCRM_BENCH_HANDLER_MS=str(args.handler_ms),
        AESCRM_JOBS_CONCURRENCY=str(args.concurrency),
    )
    return [
        subprocess.Popen([sys.executable, __file__, "--as-worker", f"bench-{n}"], env=env, cwd=ROOT)
        for n in range(args.workers)
    ]


async def main(args: argparse.Namespace) -> None:
    name = f"aescrm_bench_jobs_{uuid.uuid4().hex[:6]}"
    admin = await asyncpg.connect(args.url)
    await admin.execute(f'CREATE DATABASE "{name}"')
    target = args.url.rpartition("/")[0] + "/" + name
    var_dir = Path(tempfile.mkdtemp(prefix="aescrm-bench-jobs-"))
    workers: list[Any] = []
    try:
        await apply_migrations(target)
        runtime.configure(runtime.ServiceConfig(dev_key_file=var_dir / "dev-keys.json"))
        await open_database(target)
        workers = _start_workers(args, target, var_dir)
        print(
            f"{args.workers} worker processes (concurrency {args.concurrency}, batch 100, "
            f"poll 1 s), handler {args.handler_ms:g} ms, cpus: {os.cpu_count()}"
        )
        await asyncio.sleep(3)  # the workers start up
        await throughput(args.jobs)
        await burst(args.burst, lead=args.lead)
    finally:
        for worker in workers:
            worker.send_signal(signal.SIGTERM)
        for worker in workers:
            worker.wait(60)
        await close_database()
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def _run_worker(worker_name: str) -> None:
    from graph.cli import app

    app(["worker", "--name", worker_name])


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--as-worker":
        _run_worker(sys.argv[2])
        raise SystemExit(0)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=5000)
    parser.add_argument("--burst", type=int, default=10_000)
    parser.add_argument("--lead", type=float, default=20.0, help="seconds until the burst is due")
    parser.add_argument("--handler-ms", type=float, default=0.0)
    parser.add_argument("--concurrency", type=int, default=10, help="AESCRM_JOBS_CONCURRENCY")
    parser.add_argument("--url", default=BASE)
    asyncio.run(main(parser.parse_args()))
