"""``run_due``: claim the jobs that are due and run each to an outcome, once.

Outcomes, each written only while this worker still holds the claim (``db.queries.jobs``):
- the handler returns: DONE;
- it raises ``Retry(after)``: QUEUED again at that time, the attempt not counted;
- it raises ``PermanentFailure``: DEAD;
- it raises anything else: QUEUED again after exponential backoff with full jitter, or DEAD
  once ``max_attempts`` attempts have failed;
- the worker is stopped (task cancelled): the job is released, due at once, attempt not counted;
- the worker dies: nothing is written; the lease runs out and another claim runs it again.

While a handler runs, the lease is extended every third of its length, so only a dead (or
stuck event loop) worker loses its jobs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db.queries import jobs as job_rows
from db.queries.jobs import Claimed
from services.jobs import backoff, config, registry
from services.jobs.errors import PermanentFailure, Retry
from services.jobs.failures import describe

log = logging.getLogger("aescrm.jobs")


@dataclass(frozen=True, slots=True)
class JobContext:
    """What a running handler may know of its job (``current_job()``): for idempotency."""

    id: UUID
    kind: str
    key: str | None
    attempt: int
    practice_id: UUID | None


_current: ContextVar[JobContext | None] = ContextVar("aescrm_current_job", default=None)


def current_job() -> JobContext | None:
    """The job the calling handler runs for (None outside a handler)."""
    return _current.get()


class UnknownKind(Exception):
    """No handler is registered for the job's kind in this process."""


async def run_due(
    *,
    now: datetime | None = None,
    limit: int = 100,
    stop: asyncio.Event | None = None,
    worker: str | None = None,
) -> int:
    """Claim up to ``limit`` due jobs and run them (``concurrency`` at a time); how many ran.

    ``now`` lets tests move time: claims, leases and backoff are computed from it. Once
    ``stop`` is set, claimed jobs that have not started are released instead of run.
    ``worker`` names the claimant (default: this process, ``host:pid``).
    """
    settings = config.current()
    at = _utc(now)
    jobs = await job_rows.claim(
        worker=worker or settings.name, now=at, lease_until=at + settings.lease, limit=limit
    )
    if not jobs:
        return 0
    gate = asyncio.Semaphore(max(1, settings.concurrency))

    async def one(job: Claimed) -> None:
        async with gate:
            if stop is not None and stop.is_set():
                await job_rows.release(job, _utc(None))
            else:
                await run_claimed(job, now=now)

    async with asyncio.TaskGroup() as group:
        for job in jobs:
            group.create_task(one(job))
    return len(jobs)


async def run_claimed(job: Claimed, *, now: datetime | None = None) -> None:
    """Run one claimed job to its outcome (see the module docstring)."""
    settings = config.current()
    spec = registry.spec_for(job.kind)
    max_attempts = spec.max_attempts if spec else job.max_attempts
    if job.attempts > max_attempts:  # its last attempt's worker died: nothing left to try
        await job_rows.bury(
            job, now=_utc(now), error="lease expired on the last attempt", max_attempts=max_attempts
        )
        return
    context = JobContext(job.id, job.kind, job.key, job.attempts, job.practice_id)
    token = _current.set(context)
    try:
        async with _lease_kept(job, settings.lease):
            if spec is None:
                raise UnknownKind(f"no handler for job kind {job.kind}")
            await spec.handler(dict(job.payload))
    except asyncio.CancelledError:
        with contextlib.suppress(Exception):
            await asyncio.shield(job_rows.release(job, _utc(None)))
        raise
    except Retry as retry:
        at = _utc(now)
        await job_rows.requeue(
            job,
            run_at=retry.due(at),
            error=None,
            attempts=job.attempts - 1,
            max_attempts=max_attempts,
        )
    except PermanentFailure as error:
        log.warning("job %s (%s) failed permanently", job.id, job.kind, exc_info=True)
        await job_rows.bury(job, now=_utc(now), error=describe(error), max_attempts=max_attempts)
    except Exception as error:
        await _failed(job, error, now=now, max_attempts=max_attempts)
    else:
        if not await job_rows.finish(job, _utc(now)):
            log.warning("job %s finished after its lease was taken over", job.id)
    finally:
        _current.reset(token)


async def _failed(
    job: Claimed, error: Exception, *, now: datetime | None, max_attempts: int
) -> None:
    settings = config.current()
    text = describe(error)
    at = _utc(now)
    if job.attempts >= max_attempts:
        log.error(
            "job %s (%s) is DEAD after %d attempts", job.id, job.kind, job.attempts, exc_info=error
        )
        await job_rows.bury(job, now=at, error=text, max_attempts=max_attempts)
        return
    wait = backoff.delay(job.attempts, base=settings.backoff_base, cap=settings.backoff_cap)
    log.warning(
        "job %s (%s) attempt %d failed; retry in %.1fs",
        job.id,
        job.kind,
        job.attempts,
        wait.total_seconds(),
        exc_info=error,
    )
    await job_rows.requeue(
        job, run_at=at + wait, error=text, attempts=job.attempts, max_attempts=max_attempts
    )


@contextlib.asynccontextmanager
async def _lease_kept(job: Claimed, lease: timedelta) -> AsyncIterator[None]:
    """Extends the lease every third of its length while the body runs."""

    async def beat() -> None:
        while True:
            await asyncio.sleep(lease.total_seconds() / 3)
            try:
                if not await job_rows.extend(job, datetime.now(UTC) + lease):
                    log.warning("job %s: lease lost while running", job.id)
                    return
            except Exception:
                log.exception("job %s: could not extend the lease", job.id)

    heart = asyncio.create_task(beat())
    try:
        yield
    finally:
        heart.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heart


def _utc(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo else now.replace(tzinfo=UTC)
