"""The outbox relay: publishes committed domain events to the bus and marks them published.

One relay publishes at a time across every worker: the holder of the relay lease
(``realtime.lease``; why a lease and where it lives is explained there). Every process runs a
relay; the others only keep trying to take the lease, so when the leader dies (SIGKILL, host
cut off) another takes over once the lease expired (``lease_seconds``, renewed every third of
it) and at once publishes whatever was left unpublished.

How the leader learns of commits:

- its own commits: ``db.uow.on_commit`` hands it the rows (sub-millisecond, no query);
- another worker's commits: that worker publishes a one-byte wake message on
  ``aescrm:relay:wake`` (only the leader listens to it), and the leader reads every
  unpublished row (one indexed query) and publishes it: one bus hop and one query more;
- anything else (a wake lost with the bus, a writer that died right after commit, a worker of
  an older release publishing its own rows): the poll every ``poll_seconds`` publishes rows
  unpublished for longer than ``grace_seconds``.

Within the leader a row is published once: rows it published recently are remembered, so a
row that both the commit hook and a query found goes out once. While the bus is down nothing
is attempted (the bus logged "bus down" once; feeds poll the table meanwhile) and rows stay
unpublished until the sweep after it is back. Any other failure (the database) is logged once
when it starts and once when publishing works again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from uuid import UUID

from db import uow
from db.models.outbox import DomainEvent
from realtime import store
from realtime.bus import Bus, BusUnavailable
from realtime.channels import channel_for
from realtime.envelopes import Envelope
from realtime.lease import RELAY_KEY_PREFIX, Lease, SoleLeader

log = logging.getLogger("aescrm.relay")

# The wake channel of the default prefix (``AESCRM_RELAY_KEY_PREFIX``).
WAKE_CHANNEL = RELAY_KEY_PREFIX + "wake"
_REMEMBERED = 20_000  # ids of rows published lately (a few seconds of a busy group's events)


class Relay:
    def __init__(
        self,
        bus: Bus,
        *,
        lease: Lease | None = None,
        lease_seconds: float = 3.0,
        poll_seconds: float = 1.0,
        grace_seconds: float = 2.0,
        batch: int = 500,
        wake_channel: str = WAKE_CHANNEL,
    ) -> None:
        self.bus = bus
        self.wake_channel = wake_channel
        self.lease: Lease = lease if lease is not None else SoleLeader()
        self.renew_seconds = lease_seconds / 3
        self.poll_seconds = poll_seconds
        self.grace = timedelta(seconds=grace_seconds)
        self.batch = batch
        self.leader = not self.lease.exclusive
        self.published = 0  # envelopes this process put on the bus (tests, bench)
        self._fresh: list[DomainEvent] = []
        self._others = False  # another worker committed: read every unpublished row
        self._owe_wake = False  # lost the lease with commits of ours unpublished: wake the leader
        self._recent: dict[UUID, None] = {}
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._keeper: asyncio.Task[None] | None = None
        self._unlisten: Callable[[], None] | None = None
        self._unhook: object = None
        self._stopping = False
        self._failing = False  # logged "could not publish"; log again only once it recovers

    async def start(self) -> None:
        self._unhook = uow.on_commit(self._committed)
        loop = asyncio.get_running_loop()
        if self.lease.exclusive:
            self._keeper = loop.create_task(self._keep_lease(), name="relay-lease")
        self._task = loop.create_task(self._run(), name="outbox-relay")

    async def stop(self) -> None:
        if self._stopping:
            return
        if callable(self._unhook):
            self._unhook()
        self._stopping = True
        if self._keeper is not None:
            self._keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._keeper
        if self._task is not None:
            # Never cancelled mid-query: a driver thread would answer into a closed loop.
            self._wake.set()
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 5)
            except TimeoutError:
                self._task.cancel()
        if self.leader:
            with contextlib.suppress(Exception):  # best effort; the next leader's sweep covers it
                await self._publish(self._take_fresh())
        self._stop_listening()
        self.leader = False
        await self.lease.release()  # the next leader takes over now, not after the TTL

    async def _committed(self, rows: list[DomainEvent]) -> None:
        if self.leader:
            self._fresh.extend(rows)
            self._wake.set()
            return
        with contextlib.suppress(Exception):  # bus down: the leader's poll finds the rows
            await self.bus.publish(self.wake_channel, b"1")

    def _woken(self, _message: str) -> None:
        self._others = True
        self._wake.set()

    def _take_fresh(self) -> list[DomainEvent]:
        rows, self._fresh = self._fresh, []
        return rows

    async def _keep_lease(self) -> None:
        while True:
            try:
                held = await self.lease.hold()
            except Exception:  # a bug must not end the keeper: count it as not holding
                log.exception("relay lease check failed")
                held = False
            if held and not self.leader:
                await self._lead()
            elif not held and self.leader:
                self._follow("lease lost")
            await asyncio.sleep(self.renew_seconds)

    async def _lead(self) -> None:
        with contextlib.suppress(Exception):  # bus down: the poll covers other workers' commits
            self._unlisten = await self.bus.listen(self.wake_channel, self._woken)
        self.leader = True
        log.info("relay leader", extra={"holder": self.lease.holder})
        self._others = True  # publish whatever the previous leader left, at once
        self._wake.set()

    def _follow(self, reason: str) -> None:
        self.leader = False
        self._stop_listening()
        log.info("relay follower", extra={"holder": self.lease.holder, "reason": reason})
        if self._fresh:  # our own commits not published yet: the new leader must hear of them
            self._fresh.clear()
            self._owe_wake = True
            self._wake.set()

    def _stop_listening(self) -> None:
        if self._unlisten is not None:
            self._unlisten()
            self._unlisten = None

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
            if not self.leader:
                if self._owe_wake:
                    self._owe_wake = False
                    await self._committed([])
                next_poll = loop.time() + self.poll_seconds
                continue
            try:
                await self._publish(self._take_fresh())
                if self._others:
                    self._others = False
                    await self.sweep(grace=timedelta(0))
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

    async def sweep(self, grace: timedelta | None = None) -> int:
        """Publishes rows left unpublished past the grace period; returns how many."""
        published = 0
        if not self.bus.up:
            return 0
        while self.leader:
            before = datetime.now(UTC) - (self.grace if grace is None else grace)
            rows = await store.unpublished(before, self.batch)
            published += await self._publish(rows)
            if len(rows) < self.batch:
                break
        return published

    async def _publish(self, rows: Iterable[DomainEvent]) -> int:
        todo = [row for row in rows if row.id not in self._recent]
        if not todo or not self.bus.up:
            return 0  # while the bus is down the rows wait for the sweep
        todo.sort(key=lambda r: (str(r.practice_id), r.sequence))
        batch = [(channel_for(r.practice_id, r.topic), Envelope.of(r).encode()) for r in todo]
        if not await self.lease.publish(self.bus, batch):
            self._follow("lease lost before publishing")  # fenced: nothing went out
            return 0
        self.published += len(batch)
        ids = [row.id for row in todo]
        self._remember(ids)
        try:
            await store.mark_published(ids, datetime.now(UTC))
        except Exception:
            self._forget(ids)  # published, not marked: the next sweep publishes them again
            raise
        return len(batch)

    def _remember(self, ids: list[UUID]) -> None:
        for row_id in ids:
            self._recent[row_id] = None
        while len(self._recent) > _REMEMBERED:
            del self._recent[next(iter(self._recent))]

    def _forget(self, ids: list[UUID]) -> None:
        for row_id in ids:
            self._recent.pop(row_id, None)


__all__ = ["WAKE_CHANNEL", "Relay"]
