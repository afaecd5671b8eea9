"""The embedded runner: with ``AESCRM_JOBS_IN_PROCESS`` the server itself runs the job table
(SQLite, ``make run``), and stopping the server stops it."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from db.models import Job, JobStatus
from graph.app import create_app
from graph.settings import Settings
from services.jobs.queue import enqueue
from tests.conftest import make_settings
from tests.jobs.support import handler


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
async def test_the_server_runs_jobs_itself_when_told_to(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(
        database_url, tmp_path, jobs_in_process=None, jobs_poll_seconds=0.1, jobs_schedules=False
    )
    assert settings.jobs_run_in_process  # the SQLite default
    seen: list[Any] = []

    async def record(payload: dict[str, Any]) -> None:
        seen.append(payload)

    app = create_app(settings)
    with handler("test.embedded", record):
        async with app.router.lifespan_context(app):
            assert app.state.jobs is not None
            await enqueue("test.embedded", {"id": "1"}, key="one")
            for _ in range(100):
                if seen:
                    break
                await asyncio.sleep(0.05)
            (row,) = await Job.filter(kind="test.embedded")
            for _ in range(40):
                if row.status == JobStatus.DONE:
                    break
                await asyncio.sleep(0.05)
                await row.refresh_from_db()
    assert seen == [{"id": "1"}]
    assert row.status == JobStatus.DONE


def test_postgres_servers_leave_jobs_to_workers_by_default(tmp_path: Path) -> None:
    postgres = Settings(database_url="postgres://x@127.0.0.1/db", var_dir=tmp_path)
    assert not postgres.jobs_run_in_process
    assert Settings(database_url="postgres://x@h/db", jobs_in_process=True).jobs_run_in_process
    assert not Settings(jobs_in_process=False).jobs_run_in_process
