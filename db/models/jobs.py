"""Durable jobs: the job table is the transactional outbox of work to do after a change.

A row is written in the same transaction as the change that causes it (``services.jobs.queue``),
so a rollback enqueues nothing and a crash loses nothing. Workers claim due rows under a lease
(``locked_until``): a worker that dies mid-job leaves a lease that runs out, and the job is
claimed again. ``attempts`` grows at every claim and fences completion, so a worker whose lease
was taken over never marks the job DONE a second time.
"""

from typing import ClassVar

from tortoise import fields

from db.models.base import Entity


class JobStatus:
    """The closed list of states (stored as text)."""

    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"
    ALL = (QUEUED, RUNNING, DONE, DEAD, CANCELLED)


class Job(Entity):
    kind = fields.CharField(max_length=64)
    # Idempotency key, unique per kind: enqueueing an existing key again is a no-op.
    key = fields.CharField(max_length=200, null=True)
    payload: dict[str, object] = fields.JSONField(default=dict)
    status = fields.CharField(max_length=12, default=JobStatus.QUEUED)
    attempts = fields.IntField(default=0)
    max_attempts = fields.IntField(default=8)
    run_at = fields.DatetimeField()
    locked_by = fields.CharField(max_length=100, null=True)
    locked_until = fields.DatetimeField(null=True)
    last_error = fields.CharField(max_length=500, null=True)
    practice_id = fields.UUIDField(null=True, db_index=True)
    finished_at = fields.DatetimeField(null=True)

    plaintext_columns: ClassVar[dict[str, str]] = {
        "kind": "a fixed code from the handler registry, not free text",
        "key": "an idempotency key made of ids and times, never patient data",
        "payload": "ids, times and codes only (handlers load the data they need)",
        "status": "a fixed code from a closed list (JobStatus)",
        "locked_by": "a worker name (host and process id)",
        "last_error": "an exception class and a scrubbed, truncated message (no PII)",
    }

    class Meta:
        table = "job"
        unique_together = (("kind", "key"),)
        indexes = (("status", "run_at"),)
