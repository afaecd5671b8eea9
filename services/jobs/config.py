"""The runner's knobs, set once from the settings by whatever runs jobs (server, worker, CLI)."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import timedelta


def default_worker_name() -> str:
    return f"{socket.gethostname()[:60]}:{os.getpid()}"


@dataclass(frozen=True, slots=True)
class JobsConfig:
    # A claimed job is held this long; a live worker extends it every third of it while the
    # handler runs, a dead one lets it run out and the job is claimed again.
    lease: timedelta = timedelta(seconds=60)
    concurrency: int = 10  # handlers run at once per worker
    batch: int = 100  # jobs claimed per statement
    poll_seconds: float = 1.0  # idle wait between claims
    backoff_base: timedelta = timedelta(seconds=5)
    backoff_cap: timedelta = timedelta(hours=1)
    schedules: bool = True  # enqueue the cron-like schedule entries
    event_retention: timedelta = timedelta(days=7)  # the prune-events schedule
    job_retention: timedelta = timedelta(days=14)  # DONE/CANCELLED jobs kept this long
    worker_name: str = ""

    @property
    def name(self) -> str:
        return self.worker_name or default_worker_name()


_config = JobsConfig()


def configure(config: JobsConfig) -> None:
    global _config
    _config = config


def current() -> JobsConfig:
    return _config
