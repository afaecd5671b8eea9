"""Seeing and steering jobs: the ``jobs`` query, ``retryJob``/``cancelJob`` and the CLI.

Who sees what (decided here, with ``services.policy``): the platform operator (global
``organization:admin``) sees every job, including the platform's own scheduled work; anyone
else sees the jobs of the practices where they hold ``practice:write`` (practice admins their
practice, organisation admins their organisation's practices). Jobs carry ids and codes only,
and the payload is never shown, so no patient data leaves through here. A job outside the
caller's reach is NOT_FOUND, the same answer as a job that does not exist.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from uuid import UUID

from db.models import Job, JobStatus
from db.queries import jobs as job_rows
from db.uow import unit_of_work
from services import audit
from services.auth.users import OPERATOR
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal

S = JobStatus
# Retry: a DEAD or CANCELLED job runs again with fresh attempts; a QUEUED one (waiting out a
# backoff) runs now. Cancel: a job that has not run yet, or a DEAD one being acknowledged.
RETRYABLE = (S.DEAD, S.CANCELLED, S.QUEUED)
CANCELLABLE = (S.QUEUED, S.DEAD)


def visible_practices(principal: Principal) -> frozenset[UUID] | None:
    """None: every job (the platform operator); else the practices whose jobs it may see."""
    if Scope.ORGANIZATION_ADMIN in principal.global_scopes:
        return None
    return frozenset(principal.practices_with(Scope.PRACTICE_WRITE))


async def list_jobs(
    principal: Principal,
    *,
    status: str | None,
    kind: str | None,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[Job], bool]:
    if status is not None and status not in S.ALL:
        raise ValidationFailed("Unknown job status.", field="status")
    rows = await job_rows.page(
        visible_practices(principal), status=status, kind=kind, after=after, limit=first + 1
    )
    return rows[:first], len(rows) > first


async def retry(principal: Principal | None, *, job_id: UUID) -> Job:
    """Run again now with fresh attempts. ``principal`` None: the operator at the CLI."""
    return await _change(
        principal,
        job_id,
        expected=RETRYABLE,
        verb="retried",
        changes={
            "status": S.QUEUED,
            "run_at": datetime.now(UTC),
            "attempts": 0,
            "finished_at": None,
            "locked_by": None,
            "locked_until": None,
        },
    )


async def cancel(principal: Principal | None, *, job_id: UUID) -> Job:
    """Never run it (again). A running job cannot be cancelled: its handler is under way."""
    return await _change(
        principal,
        job_id,
        expected=CANCELLABLE,
        verb="cancelled",
        changes={"status": S.CANCELLED, "finished_at": datetime.now(UTC)},
    )


async def _change(
    principal: Principal | None,
    job_id: UUID,
    *,
    expected: Collection[str],
    verb: str,
    changes: dict[str, object],
) -> Job:
    action = {"retried": "RETRY job", "cancelled": "CANCEL job"}[verb]
    practices = None if principal is None else visible_practices(principal)
    async with unit_of_work() as uow:
        found = await job_rows.get(practices, job_id)
        if found is None:
            raise NotFound("Job")
        if found.status not in expected or not await job_rows.set_status(
            job_id, expected=expected, changes=changes
        ):
            raise Conflict(f"A {found.status.lower()} job cannot be {verb}.", field="id")
        uow.audit(
            audit.record_for(
                principal or OPERATOR,
                action=action,
                practice_id=found.practice_id,
                entity_type="job",
                entity_id=job_id,
            )
        )
        changed = await job_rows.get(practices, job_id)
    if changed is None:
        raise NotFound("Job")
    return changed


async def list_for_operator(*, status: str | None, kind: str | None, limit: int) -> list[Job]:
    """The CLI's view: every job, newest first."""
    if status is not None and status not in S.ALL:
        raise ValidationFailed("Unknown job status.", field="status")
    return await job_rows.page(None, status=status, kind=kind, after=None, limit=limit)
