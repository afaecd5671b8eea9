"""Background jobs as admins see them: kind, state, attempts and times; never the payload."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from uuid import UUID

import strawberry

from db.models import Job as JobModel
from graph.ids import IdFields


@strawberry.enum(
    name="JobStatus",
    description="QUEUED (waiting for its time or a worker), RUNNING (claimed by a worker under "
    "a lease), DONE, DEAD (failed `maxAttempts` times or permanently: the dead-letter state) or "
    "CANCELLED.",
)
class JobStatus(StrEnum):
    QUEUED = "QUEUED"
    RUNNING = "RUNNING"
    DONE = "DONE"
    DEAD = "DEAD"
    CANCELLED = "CANCELLED"


@strawberry.type(description="A background job: sending a message, a scheduled sweep, …")
class Job:
    id: strawberry.ID
    kind: str = strawberry.field(description="What it does, e.g. `maintenance.expire_holds`.")
    status: JobStatus = strawberry.field(description="Where it stands.")
    attempts: int = strawberry.field(description="Attempts made so far.")
    max_attempts: int = strawberry.field(description="Failed attempts before it is DEAD.")
    run_at: datetime = strawberry.field(
        description="When it is (or was last) due; a retry moves it on by the backoff."
    )
    practice_id: strawberry.ID | None = strawberry.field(
        description="The practice it works for; null for platform work."
    )
    last_error: str | None = strawberry.field(
        description="The last failure: exception class and a scrubbed, shortened message."
    )
    created_at: datetime = strawberry.field(description="When it was enqueued.")
    finished_at: datetime | None = strawberry.field(
        description="When it became DONE, DEAD or CANCELLED."
    )

    @classmethod
    def from_model(cls, row: JobModel) -> Job:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=row.kind,
            status=JobStatus(row.status),
            attempts=row.attempts,
            max_attempts=row.max_attempts,
            run_at=row.run_at,
            practice_id=None if row.practice_id is None else strawberry.ID(str(row.practice_id)),
            last_error=row.last_error,
            created_at=row.created_at,
            finished_at=row.finished_at,
        )


def cursor_of(row: JobModel) -> tuple[str, str]:
    return (row.created_at.isoformat(), str(UUID(str(row.id))))


@strawberry.input(description="Run a DEAD, CANCELLED or waiting job again now.")
class RetryJobInput(IdFields):
    job_id: strawberry.ID = strawberry.field(description="The job.")


@strawberry.type(description="The job, queued again with fresh attempts.")
class RetryJobPayload:
    job: Job = strawberry.field(description="The job as it is now.")


@strawberry.input(description="Cancel a job that has not run yet, or acknowledge a DEAD one.")
class CancelJobInput(IdFields):
    job_id: strawberry.ID = strawberry.field(description="The job.")


@strawberry.type(description="The cancelled job.")
class CancelJobPayload:
    job: Job = strawberry.field(description="The job as it is now.")
