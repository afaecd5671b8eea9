"""Background jobs for admins: the ``jobs`` list, ``retryJob`` and ``cancelJob``."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.jobs import (
    CancelJobInput,
    CancelJobPayload,
    Job,
    JobStatus,
    RetryJobInput,
    RetryJobPayload,
    cursor_of,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.jobs import admin
from services.policy import Scope


@strawberry.type
class JobQueries:
    @strawberry.field(
        description="Background jobs the caller administers, newest first: every job for the "
        "platform operator, a practice's jobs for its admins.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def jobs(
        self,
        info: Info,
        status: Annotated[
            JobStatus | None, strawberry.argument(description="Only jobs in this state.")
        ] = None,
        kind: Annotated[
            str | None, strawberry.argument(description="Only jobs of this kind.")
        ] = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Job] | None:
        rows, has_next = await admin.list_jobs(
            info.context.principal,
            status=None if status is None else str(status.value),
            kind=kind,
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[Job].build(rows, Job.from_model, cursor_of, has_next=has_next)


@strawberry.type
class JobMutations:
    @strawberry.mutation(
        description="Run a DEAD, CANCELLED or waiting job again now, with fresh attempts.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def retry_job(self, info: Info, input: RetryJobInput) -> RetryJobPayload | None:
        row = await admin.retry(info.context.principal, job_id=input.ids.job_id)
        return RetryJobPayload(job=Job.from_model(row))

    @strawberry.mutation(
        description="Cancel a job that has not run yet, or acknowledge a DEAD one.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def cancel_job(self, info: Info, input: CancelJobInput) -> CancelJobPayload | None:
        row = await admin.cancel(info.context.principal, job_id=input.ids.job_id)
        return CancelJobPayload(job=Job.from_model(row))
