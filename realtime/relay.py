"""The outbox relay: publishes committed domain events to the bus and marks them published.

Woken right after a commit by ``db.uow.on_commit`` (sub-millisecond path), and polling for rows
that stayed unpublished for longer than a grace period — a process that died between commit
and publish, or a bus that was down. Publishing twice is harmless: feeds deduplicate by
sequence, so any number of processes may run a relay.

While the bus is down nothing is attempted (the bus logged "bus down" once; feeds poll the
table meanwhile) and rows stay unpublished until the sweep after it is back. Any other failure
(the database) is logged once when it starts and once when publishing works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import UTC, datetime, timedelta

from db import uow
from db.models.outbox import DomainEvent
from realtime import store
from realtime.bus import Bus, BusUnavailable
from realtime.channels import channel_for
from realtime.envelopes import Envelope

log = logging.getLogger("aescrm.relay")


class Relay:
    def __init__(
        self, bus: Bus, *, poll_seconds: float = 1.0, grace_seconds: float = 2.0, batch: int = 500
    ) -> None:
        self.bus = bus
        self.poll_seconds = poll_seconds
        self.grace = timedelta(seconds=grace_seconds)
        self.batch = batch
        self._fresh: list[DomainEvent] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._unhook: object = None
        self._stopping = False
        self._failing = False  # logged "could not publish"; log again only once it recovers

    async def start(self) -> None:
        self._unhook = uow.on_commit(self._committed)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if callable(self._unhook):
            self._unhook()
        if self._task is not None:
            # Never cancelled mid-query: a driver thread would answer into a closed loop.
            self._stopping = True
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except TimeoutError:
                self._task.cancel()
        with contextlib.suppress(Exception):  # best effort; the next process's poll covers it
            await self._publish(self._take_fresh())

    async def _committed(self, rows: list[DomainEvent]) -> None:
        self._fresh.extend(rows)
        self._wake.set()

    def _take_fresh(self) -> list[DomainEvent]:
        rows, self._fresh = self._fresh, []
        return rows

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        next_poll = loop.time()
        while True:
            timeout = max(0.0, next_poll - loop.time())
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout)
            self._wake.clear()
            if self._stopping:
                return
            try:
                await self._publish(self._take_fresh())
                if loop.time() >= next_poll:
                    next_poll = loop.time() + self.poll_seconds
                    await self.sweep()
            except BusUnavailable:
                pass  # rows stay unpublished; the sweep publishes them once the bus is back
            except Exception:  # the database is down: rows stay for the next poll
                if not self._failing:
                    log.warning("relay could not publish; will retry", exc_info=True)
                self._failing = True
            else:
                if self._failing:
                    log.info("relay publishing again")
                self._failing = False

    async def sweep(self) -> int:
        """Publishes rows left unpublished past the grace period; returns how many."""
        published = 0
        if not self.bus.up:
            return 0
        while True:
            before = datetime.now(UTC) - self.grace
            rows = await store.unpublished(before, self.batch)
            await self._publish(rows)
            published += len(rows)
            if len(rows) < self.batch:
                return published

    async def _publish(self, rows: list[DomainEvent]) -> None:
        if not rows or not self.bus.up:
            return  # while the bus is down the rows wait for the sweep
        done: list[DomainEvent] = []
        try:
            for row in sorted(rows, key=lambda r: (str(r.practice_id), r.sequence)):
                envelope = Envelope.of(row)
                await self.bus.publish(channel_for(row.practice_id, row.topic), envelope.encode())
                done.append(row)
        finally:
            await store.mark_published([row.id for row in done], datetime.now(UTC))


__all__ = ["Relay"]
