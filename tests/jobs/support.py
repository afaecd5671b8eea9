"""Shared pieces of the job tests: throw-away handler kinds and reading the job table."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from db.models import Job
from services.jobs import registry
from services.jobs.registry import Handler


@contextmanager
def handler(kind: str, fn: Handler, *, max_attempts: int = 8) -> Iterator[None]:
    registry.job_handler(kind, max_attempts=max_attempts)(fn)
    try:
        yield
    finally:
        registry.unregister(kind)


async def rows(kind: str | None = None) -> list[Job]:
    query = Job.all() if kind is None else Job.filter(kind=kind)
    return await query.order_by("created_at")


class Calls:
    """A handler that records its payloads (and can be told to fail first)."""

    def __init__(self, fail_times: int = 0, error: Exception | None = None) -> None:
        self.payloads: list[dict[str, Any]] = []
        self.fail_times = fail_times
        self.error = error or RuntimeError("transient failure")

    async def __call__(self, payload: dict[str, Any]) -> None:
        self.payloads.append(payload)
        if len(self.payloads) <= self.fail_times:
            raise self.error
