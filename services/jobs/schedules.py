"""Cron-like schedule entries: each due run is enqueued once, however many workers look.

Every worker (and the in-process runner) calls :func:`enqueue_due` once a minute. For each
entry it finds the latest time the cron expression fired (UTC, by ``cronsim``, which follows
Debian cron) and enqueues the entry's kind with the key ``<name>:<due minute>``: N workers
enqueue one job, and a worker that was down catches up with the latest missed run only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cronsim import CronSim

from services.jobs.queue import enqueue

# A run missed for longer than this (no worker was up) is skipped, not caught up.
CATCH_UP = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Schedule:
    name: str  # part of the idempotency key; never rename a live entry carelessly
    cron: str  # minute hour day month weekday, in UTC
    kind: str


SCHEDULES: list[Schedule] = [
    Schedule("expire-holds", "* * * * *", "maintenance.expire_holds"),
    Schedule("lock-stale-notes", "7 * * * *", "maintenance.lock_stale_notes"),
    Schedule("retention", "37 2 * * *", "maintenance.retention"),
    Schedule("prune-events", "17 3 * * *", "maintenance.prune_events"),
    Schedule("prune-jobs", "47 3 * * *", "maintenance.prune_jobs"),
    # Recall reminders for recalls falling due soon (``services.messaging.recall_reminders``);
    # 08:00 UTC, after the night's quiet hours in the UK in both seasons.
    Schedule("recall-reminders", "0 8 * * *", "messages.recall_sweep"),
    # Partner webhooks: fan out events a commit left behind, resend what is due
    # (``services.webhooks.jobs.sweep``).
    Schedule("webhooks-sweep", "* * * * *", "webhooks.sweep"),
]


def last_due(cron: str, now: datetime) -> datetime:
    """The latest minute at or before ``now`` that ``cron`` fires (UTC)."""
    start = now.astimezone(UTC).replace(second=0, microsecond=0) + timedelta(seconds=1)
    return next(CronSim(cron, start, reverse=True)).astimezone(UTC)


def key_of(entry: Schedule, due: datetime) -> str:
    return f"{entry.name}:{due:%Y-%m-%dT%H:%MZ}"


async def enqueue_due(now: datetime | None = None, entries: list[Schedule] | None = None) -> int:
    """Enqueue each entry's latest due run unless already enqueued; how many were new."""
    at = now or datetime.now(UTC)
    created = 0
    for entry in SCHEDULES if entries is None else entries:
        due = last_due(entry.cron, at)
        if at - due > CATCH_UP:
            continue
        payload = {"scheduled_for": due.isoformat(), "schedule": entry.name}
        if await enqueue(entry.kind, payload, key=key_of(entry, due), run_at=due):
            created += 1
    return created
