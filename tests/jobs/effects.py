"""A test handler with a visible, idempotent effect: lines appended to a file.

``test.effect`` writes ``start <id> <attempt> <pid>`` when it begins and ``done <id> <pid>``
when it ends, unless a ``done`` line for the id is already there (the idempotency a real
handler gets from a unique row). On its first attempt it sleeps ``sleep_first`` seconds, so a
test can kill the worker mid-job.
"""

from __future__ import annotations

import asyncio
import os
import time
from pathlib import Path
from typing import Any

from services.jobs.registry import job_handler
from services.jobs.runner import current_job


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(line + "\n")


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@job_handler("test.effect", max_attempts=5)
async def effect(payload: dict[str, Any]) -> None:
    job = current_job()
    attempt = job.attempt if job else 0
    path = Path(str(payload["log"]))
    _append(path, f"start {payload['id']} {attempt} {os.getpid()} {time.time():.3f}")
    if attempt == 1 and payload.get("sleep_first"):
        await asyncio.sleep(float(payload["sleep_first"]))
    if payload.get("sleep"):
        await asyncio.sleep(float(payload["sleep"]))
    if f"done {payload['id']} " in _read(path):
        return  # already done by an earlier run: idempotent
    _append(path, f"done {payload['id']} {os.getpid()}")
