"""Handlers of the platform's own scheduled work (``services.jobs.schedules``).

They call the same service functions as the CLI commands they replace (``aescrm
expire-holds``, ``prune-events``, ``retention --apply``, ``lock-stale-notes``); each is safe to
run again, so a job run twice (a worker killed mid-run) changes nothing more.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from db.queries import jobs as job_rows
from services import watch_access
from services.clinical import note_locking
from services.consent import retention
from services.jobs import config
from services.jobs.registry import job_handler
from services.scheduling import holds

log = logging.getLogger("aescrm.jobs")
PRUNE_BATCH = 1000


@job_handler("maintenance.expire_holds", max_attempts=3)
async def expire_holds(_: dict[str, Any]) -> None:
    released = await holds.expire_all()
    if released:
        log.info("released %d expired holds", released)


@job_handler("maintenance.lock_stale_notes", max_attempts=5)
async def lock_stale_notes(_: dict[str, Any]) -> None:
    report = await note_locking.lock_stale()
    if report.locked:
        log.info("locked %d stale note drafts", len(report.locked))


@job_handler("maintenance.retention", max_attempts=5)
async def apply_retention(_: dict[str, Any]) -> None:
    await retention.run(apply=True)


@job_handler("maintenance.prune_events", max_attempts=5)
async def prune_events(_: dict[str, Any]) -> None:
    deleted = await watch_access.prune(config.current().event_retention)
    log.info("pruned %d domain events", deleted)


@job_handler("maintenance.prune_jobs", max_attempts=5)
async def prune_jobs(_: dict[str, Any]) -> None:
    """Finished jobs older than the job retention; their keys may then be reused."""
    before = datetime.now(UTC) - config.current().job_retention
    while await job_rows.prune(before, PRUNE_BATCH) == PRUNE_BATCH:
        pass
