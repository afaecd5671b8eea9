"""Each running process tells the database which encryption keys it holds, on a timer.

Rotation must not let anything be written with a key that some running process cannot read.
``keep`` runs in every server (lifespan) and every ``aescrm worker``: each tick it re-reads the
key store (the development key file changes under a running process; keys in the environment
change with a restart) and refreshes this process's ``process_keys`` row. ``missing`` is what
``aescrm rotate-keys --promote`` asks before a key becomes current: the live processes that do
not hold it yet. A process that stops cleanly deletes its row; a killed one stops counting when
its row expires (``ttl``), so a crash cannot block a rotation for longer than that.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from db.queries import key_presence as rows
from services import runtime

log = logging.getLogger("aescrm.keys")
MIN_TTL_SECONDS = 30.0  # a loaded host may miss a few ticks without looking dead
PRUNE_AFTER = timedelta(days=1)


def ttl(interval_seconds: float) -> timedelta:
    return timedelta(seconds=max(MIN_TTL_SECONDS, 6 * interval_seconds))


@dataclass(frozen=True, slots=True)
class Presence:
    """One process's identity: made after the fork, so every uvicorn worker has its own."""

    process: str
    kind: str
    started_at: datetime

    @classmethod
    def new(cls, kind: str) -> Presence:
        name = f"{socket.gethostname()}:{os.getpid()}:{uuid4().hex[:8]}"
        return cls(process=name, kind=kind, started_at=datetime.now(UTC))

    async def report(self, interval_seconds: float) -> None:
        ring = runtime.keyring()
        now = datetime.now(UTC)
        await rows.report(
            self.process,
            kind=self.kind,
            key_ids=ring.key_ids,
            current_key_id=ring.current_key_id,
            started_at=self.started_at,
            now=now,
            expires_at=now + ttl(interval_seconds),
        )


async def start(kind: str, interval_seconds: float) -> asyncio.Task[None]:
    """Report once before serving (a rotation must see this process at once), then keep it up."""
    presence = Presence.new(kind)
    try:
        await rows.prune(datetime.now(UTC) - PRUNE_AFTER)
        await presence.report(interval_seconds)
    except Exception:  # the loop tries again; serving must not wait for it
        log.warning("key presence not reported", exc_info=True)
    return asyncio.create_task(_keep(presence, interval_seconds))


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _keep(presence: Presence, interval_seconds: float) -> None:
    failing = False  # an outage logs once when it starts and once when it ends
    try:
        while True:
            await asyncio.sleep(interval_seconds)
            try:
                runtime.reload_keyring()
            except Exception:  # never end the loop over a bad read: the old ring keeps working
                log.exception("encryption key check failed")
            try:
                await presence.report(interval_seconds)
            except Exception as error:  # database unreachable: the row expires if this lasts
                if not failing:
                    log.warning("key presence not reported", extra={"reason": repr(error)})
                failing = True
            else:
                if failing:
                    log.info("key presence reported again")
                failing = False
    finally:
        with contextlib.suppress(Exception):
            await rows.forget(presence.process)


@dataclass(frozen=True, slots=True)
class Lagging:
    process: str
    kind: str
    key_ids: list[str]
    seen_seconds_ago: float
    expires_in_seconds: float  # counts this long more unless it reports again


async def missing(key_id: str) -> tuple[int, list[Lagging]]:
    """(live processes, those of them that do not hold ``key_id``)."""
    now = datetime.now(UTC)
    alive = await rows.live(now)
    lagging = [
        Lagging(
            row.process,
            row.kind,
            list(row.key_ids),
            (now - row.seen_at).total_seconds(),
            (row.expires_at - now).total_seconds(),
        )
        for row in alive
        if key_id not in row.key_ids
    ]
    return len(alive), lagging
