"""The long-running job loop: ``aescrm worker`` runs it alone, the server in-process.

Each turn: once a minute enqueue the due schedule entries, then claim and run a batch of due
jobs; when nothing was due, sleep ``poll_seconds`` (or until woken). A stop request (SIGTERM)
stops claiming; jobs already running get ``grace`` seconds to finish, then they are cancelled
and released back to the queue (due at once, the attempt not counted). A worker killed outright
(SIGKILL, power loss) leaves its leases to run out; other workers then take the jobs over.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime

from services.jobs import catalogue, config, runner, schedules

log = logging.getLogger("aescrm.jobs")


class Worker:
    def __init__(self) -> None:
        self.stop_requested = asyncio.Event()
        self._wake = asyncio.Event()
        self._last_minute: datetime | None = None
        self.processed = 0

    def wake(self) -> None:
        """Look for due jobs now instead of at the next poll (e.g. after a local enqueue)."""
        self._wake.set()

    def stop(self) -> None:
        self.stop_requested.set()
        self._wake.set()

    async def run(self, *, grace: float = 20.0) -> None:
        """Run until :meth:`stop`; then let running jobs finish for ``grace`` seconds."""
        catalogue.load()
        settings = config.current()
        log.info("job worker %s started", settings.name)
        loop = asyncio.create_task(self._loop())
        stopping = asyncio.create_task(self.stop_requested.wait())
        await asyncio.wait({loop, stopping}, return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        if not loop.done():
            try:
                await asyncio.wait_for(asyncio.shield(loop), grace)
            except TimeoutError:
                loop.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await loop
        if loop.done() and not loop.cancelled() and loop.exception() is not None:
            raise loop.exception()  # type: ignore[misc]
        log.info("job worker %s stopped after %d jobs", settings.name, self.processed)

    async def _loop(self) -> None:
        settings = config.current()
        while not self.stop_requested.is_set():
            try:
                await self._schedules()
                ran = await runner.run_due(limit=settings.batch, stop=self.stop_requested)
            except asyncio.CancelledError:
                raise
            except Exception:  # the database restarting, a lock timeout: try again shortly
                log.exception("job worker turn failed")
                ran = 0
            self.processed += ran
            if ran == 0 and not self.stop_requested.is_set():
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), settings.poll_seconds)

    async def _schedules(self) -> None:
        if not config.current().schedules:
            return
        minute = datetime.now(UTC).replace(second=0, microsecond=0)
        if minute == self._last_minute:
            return
        await schedules.enqueue_due()
        self._last_minute = minute
