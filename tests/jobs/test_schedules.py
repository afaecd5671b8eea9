"""Scheduled entries: each due run is enqueued once however many runners look, with the key
``<name>:<due minute>``; the maintenance kinds are registered and run the CLI's services."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from cronsim import CronSim

from db.models import Job, JobStatus
from services.jobs import catalogue, registry, schedules
from services.jobs.runner import run_due
from services.jobs.schedules import Schedule

pytestmark = pytest.mark.usefixtures("db")
NOW = datetime(2026, 12, 7, 3, 17, 40, tzinfo=UTC)


async def test_two_runners_enqueue_each_due_run_once() -> None:
    first, second = await asyncio.gather(
        schedules.enqueue_due(NOW), schedules.enqueue_due(NOW + timedelta(seconds=5))
    )
    assert first + second == len(schedules.SCHEDULES)
    again = await schedules.enqueue_due(NOW + timedelta(seconds=15))
    assert again == 0
    keys = sorted(await Job.all().values_list("key", flat=True))
    assert keys == sorted(
        [
            "expire-holds:2026-12-07T03:17Z",
            "lock-stale-notes:2026-12-07T03:07Z",
            "prune-events:2026-12-07T03:17Z",
            "prune-jobs:2026-12-06T03:47Z",
            "recall-reminders:2026-12-06T08:00Z",
            "retention:2026-12-07T02:37Z",
            "webhooks-sweep:2026-12-07T03:17Z",
        ]
    )
    expire = await Job.get(key="expire-holds:2026-12-07T03:17Z")
    assert expire.run_at == datetime(2026, 12, 7, 3, 17, tzinfo=UTC)
    assert await schedules.enqueue_due(NOW + timedelta(minutes=1)) == 2  # the next minute's
    assert await Job.filter(kind="maintenance.expire_holds").count() == 2


async def test_a_run_missed_for_more_than_a_day_is_skipped() -> None:
    yearly = [Schedule("yearly", "0 0 1 1 *", "maintenance.prune_jobs")]
    assert await schedules.enqueue_due(NOW, yearly) == 0
    assert await schedules.enqueue_due(datetime(2027, 1, 1, 0, 30, tzinfo=UTC), yearly) == 1


async def test_every_entry_parses_and_names_a_registered_kind() -> None:
    catalogue.load()
    names = [entry.name for entry in schedules.SCHEDULES]
    assert len(names) == len(set(names))
    for entry in schedules.SCHEDULES:
        assert registry.spec_for(entry.kind) is not None, entry.kind
        next(CronSim(entry.cron, NOW))


async def test_the_maintenance_jobs_run_their_services() -> None:
    catalogue.load()
    now = datetime.now(UTC)
    await schedules.enqueue_due(now)
    assert await run_due(now=now, limit=50) == len(schedules.SCHEDULES)
    statuses = await Job.all().values_list("kind", "status", "last_error")
    assert sorted(statuses) == sorted(
        (entry.kind, JobStatus.DONE, None) for entry in schedules.SCHEDULES
    )
