"""The job table: enqueue on the current connection, claim under a lease, fenced completion.

Jobs span practices (the runner works for all of them); the admin reads take the practices a
principal may see (``None``: every job, the platform operator). Every state change after a
claim names the claim's ``locked_by`` and ``attempts`` (the fence): a worker whose lease ran out
and was taken over changes nothing, so a job is never finished twice.

Claiming is one statement on both engines. PostgreSQL: ``UPDATE … WHERE id IN (SELECT … FOR
UPDATE SKIP LOCKED) RETURNING``, so concurrent workers each take different rows without
waiting. SQLite: the same ``UPDATE … RETURNING`` without row locks; SQLite has one writer at a
time, so the statement is atomic against every other claim.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import orjson
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Count
from tortoise.queryset import QuerySet

from db.models.jobs import Job, JobStatus

S = JobStatus

_INSERT_PG = (
    "INSERT INTO job (id, created_at, kind, key, payload, status, attempts, max_attempts, "
    "run_at, practice_id) VALUES ($1, $2, $3, $4, CAST($5 AS JSONB), 'QUEUED', 0, $6, $7, $8) "
    "ON CONFLICT (kind, key) DO NOTHING RETURNING id"
)
_INSERT_SQLITE = (
    "INSERT INTO job (id, created_at, kind, key, payload, status, attempts, max_attempts, "
    "run_at, practice_id) VALUES (?, ?, ?, ?, ?, 'QUEUED', 0, ?, ?, ?) "
    "ON CONFLICT (kind, key) DO NOTHING RETURNING id"
)
# Due: queued and its time has come, or running under a lease that ran out (a dead worker).
_CLAIM_PG = (
    "UPDATE job SET status = 'RUNNING', locked_by = $1, locked_until = $2, "
    "attempts = attempts + 1 WHERE id IN (SELECT id FROM job WHERE "
    "(status = 'QUEUED' AND run_at <= $3) OR (status = 'RUNNING' AND locked_until <= $3) "
    "ORDER BY run_at LIMIT $4 FOR UPDATE SKIP LOCKED) "
    "RETURNING id, kind, key, payload, attempts, max_attempts, run_at, practice_id"
)
_CLAIM_SQLITE = (
    "UPDATE job SET status = 'RUNNING', locked_by = ?, locked_until = ?, "
    "attempts = attempts + 1 WHERE id IN (SELECT id FROM job WHERE "
    "(status = 'QUEUED' AND run_at <= ?) OR (status = 'RUNNING' AND locked_until <= ?) "
    "ORDER BY run_at LIMIT ?) "
    "RETURNING id, kind, key, payload, attempts, max_attempts, run_at, practice_id"
)


@dataclass(frozen=True, slots=True)
class Claimed:
    """A job this worker holds until ``locked_until`` (or until it finishes it)."""

    id: UUID
    kind: str
    key: str | None
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    run_at: datetime
    practice_id: UUID | None
    locked_by: str


def client() -> BaseDBAsyncClient:
    """The current connection: the open transaction's inside a unit of work."""
    return Job._meta.db


def _is_postgres(connection: BaseDBAsyncClient) -> bool:
    return bool(connection.capabilities.dialect == "postgres")


def _text_time(value: datetime) -> str:
    """SQLite stores times as ISO text in UTC (Tortoise's own adapter): compare alike."""
    return value.astimezone(UTC).isoformat(" ")


def _time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.fromisoformat(str(value)).astimezone(UTC)


async def insert(
    *,
    kind: str,
    payload: dict[str, Any],
    key: str | None,
    run_at: datetime,
    practice_id: UUID | None,
    max_attempts: int,
    now: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> bool:
    """One job row; False (and nothing written) when ``(kind, key)`` already exists."""
    connection = connection or client()
    body = orjson.dumps(payload).decode()
    job_id = uuid4()
    rows: Sequence[Any]
    if _is_postgres(connection):
        values = [job_id, now, kind, key, body, max_attempts, run_at, practice_id]
        rows = await connection.execute_query_dict(_INSERT_PG, values)
    else:
        values = [
            str(job_id),
            _text_time(now),
            kind,
            key,
            body,
            max_attempts,
            _text_time(run_at),
            None if practice_id is None else str(practice_id),
        ]
        _, rows = await connection.execute_query(_INSERT_SQLITE, values)
    return bool(rows)


def _claimed(row: Any, locked_by: str) -> Claimed:
    payload = row["payload"]
    if isinstance(payload, str | bytes):
        payload = orjson.loads(payload)
    practice = row["practice_id"]
    return Claimed(
        id=UUID(str(row["id"])),
        kind=str(row["kind"]),
        key=None if row["key"] is None else str(row["key"]),
        payload=dict(payload or {}),
        attempts=int(row["attempts"]),
        max_attempts=int(row["max_attempts"]),
        run_at=_time(row["run_at"]),
        practice_id=None if practice is None else UUID(str(practice)),
        locked_by=locked_by,
    )


async def claim(*, worker: str, now: datetime, lease_until: datetime, limit: int) -> list[Claimed]:
    """Takes up to ``limit`` due jobs (oldest due first) for ``worker`` until ``lease_until``."""
    connection = client()
    rows: Sequence[Any]
    if _is_postgres(connection):
        rows = await connection.execute_query_dict(_CLAIM_PG, [worker, lease_until, now, limit])
    else:
        at, until = _text_time(now), _text_time(lease_until)
        _, rows = await connection.execute_query(_CLAIM_SQLITE, [worker, until, at, at, limit])
    claimed = [_claimed(row, worker) for row in rows]
    claimed.sort(key=lambda job: job.run_at)
    return claimed


def _held(job: Claimed) -> QuerySet[Job]:
    """The fence: still this claim's job (the lease was not taken over since)."""
    return Job.filter(id=job.id, status=S.RUNNING, locked_by=job.locked_by, attempts=job.attempts)


async def finish(job: Claimed, now: datetime) -> bool:
    """DONE, once; False when the claim was lost (another worker took the job over)."""
    changed: int = await _held(job).update(
        status=S.DONE, finished_at=now, locked_by=None, locked_until=None, last_error=None
    )
    return changed == 1


async def requeue(
    job: Claimed,
    *,
    run_at: datetime,
    error: str | None,
    attempts: int,
    max_attempts: int,
) -> bool:
    """Back to QUEUED for ``run_at`` (a retry); False when the claim was lost."""
    changed: int = await _held(job).update(
        status=S.QUEUED,
        run_at=run_at,
        locked_by=None,
        locked_until=None,
        last_error=error,
        attempts=attempts,
        max_attempts=max_attempts,
    )
    return changed == 1


async def bury(job: Claimed, *, now: datetime, error: str, max_attempts: int) -> bool:
    """DEAD (the dead-letter state); False when the claim was lost."""
    changed: int = await _held(job).update(
        status=S.DEAD,
        finished_at=now,
        locked_by=None,
        locked_until=None,
        last_error=error,
        max_attempts=max_attempts,
    )
    return changed == 1


async def extend(job: Claimed, lease_until: datetime) -> bool:
    """The worker is alive and still on it: push the lease on."""
    changed: int = await _held(job).update(locked_until=lease_until)
    return changed == 1


async def release(job: Claimed, now: datetime) -> bool:
    """Give the job back unrun (a stopping worker): due at once, the attempt not counted."""
    changed: int = await _held(job).update(
        status=S.QUEUED, run_at=now, locked_by=None, locked_until=None, attempts=job.attempts - 1
    )
    return changed == 1


# Admin reads and changes ------------------------------------------------------------------


async def page(
    practices: Collection[UUID] | None,
    *,
    status: str | None,
    kind: str | None,
    after: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Job]:
    """Newest first by ``(created_at, id)``; ``practices`` None: every job (platform operator)."""
    query = Job.all()
    if practices is not None:
        query = query.filter(practice_id__in=list(practices))
    if status is not None:
        query = query.filter(status=status)
    if kind is not None:
        query = query.filter(kind=kind)
    if after is not None:
        created, job_id = after
        query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=job_id))
    return await query.order_by("-created_at", "-id").limit(limit)


async def get(practices: Collection[UUID] | None, job_id: UUID) -> Job | None:
    query = Job.filter(id=job_id)
    if practices is not None:
        query = query.filter(practice_id__in=list(practices))
    return await query.first()


async def set_status(job_id: UUID, *, expected: Collection[str], changes: dict[str, Any]) -> bool:
    """Compare-and-set: changes the job only while its status is one of ``expected``."""
    changed: int = await Job.filter(id=job_id, status__in=list(expected)).update(**changes)
    return changed == 1


async def by_status(kind: str | None = None) -> dict[str, int]:
    """How many jobs in each state (``aescrm jobs list --summary``, the bench)."""
    query = Job.all() if kind is None else Job.filter(kind=kind)
    rows = await query.annotate(n=Count("id")).group_by("status").values("status", "n")
    return {str(row["status"]): int(row["n"]) for row in rows}


async def due_count(now: datetime) -> int:
    """Queued jobs whose time has come (the job queue depth metric; the status/run_at index)."""
    return await Job.filter(status=JobStatus.QUEUED, run_at__lte=now).count()


async def prune(before: datetime, limit: int = 1000) -> int:
    """Deletes finished (DONE or CANCELLED) jobs that finished before ``before``, in a batch."""
    ids = (
        await Job.filter(status__in=[S.DONE, S.CANCELLED], finished_at__lt=before)
        .limit(limit)
        .values_list("id", flat=True)
    )
    if not ids:
        return 0
    deleted: int = await Job.filter(id__in=list(ids)).delete()
    return deleted
