"""One subscription's bounded queue and the reasons it may be stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

log = logging.getLogger("aescrm.fanout")
Encoder = Callable[[object], Awaitable[object]]
"""Turns a rendered event into what the subscription's consumer writes (e.g. a payload);
None withholds the event from that consumer (e.g. a patient its principal may not see)."""


@dataclass(frozen=True, slots=True)
class Stop:
    """Why a subscription ended. ``close_code`` closes the whole socket (credentials are gone,
    the consumer is too slow, or the server is stopping); without it only this one ends."""

    code: str
    message: str
    close_code: int | None = None


SLOW_CONSUMER = Stop("SLOW_CONSUMER", "Events were not read in time; resubscribe with since.", 4008)
EXPIRED = Stop("UNAUTHENTICATED", "Your session expired; sign in again.", 4403)
REVOKED = Stop("UNAUTHENTICATED", "Your session is no longer valid; sign in again.", 4403)
CHANGED = Stop("FORBIDDEN", "Your access to this practice changed; subscribe again.")
SHUTDOWN = Stop("SHUTTING_DOWN", "The server is restarting; reconnect with since.", 1001)


class Stopped(Exception):
    def __init__(self, stop: Stop) -> None:
        super().__init__(stop.message)
        self.stop = stop


class Subscriber:
    """Filled by the practice feed, drained by the subscription's generator.

    ``identity`` is what the authoriser re-checks on every event; ``scopes`` are the scopes the
    subscriber held in the practice when it subscribed (a change stops the subscription).
    With ``encode`` the feed queues what it returns instead of the rendered event, computed
    once per ``encode_key`` among a group's subscribers (one payload, many sockets).

    With ``write`` (a synchronous "send this now if the socket can take it"), a live subscriber
    whose queue is empty and whose consumer is not mid-send gets the event written at once by
    the feed: no task wakes per socket. Anything the writer refuses (socket paused or closing)
    is queued, and later events queue behind it, so order holds; the bounded queue still stops
    a reader that falls behind. ``last`` is the highest sequence handed over (deduplication).

    A ``detached`` subscriber has no consumer task at all while it is idle (an open board costs
    no coroutine stack): what the writer refuses is sent by a task started for that backlog
    with ``send``, which ends once the queue is empty.
    """

    __slots__ = (
        "_waiter",
        "accepts",
        "busy",
        "detached",
        "drainer",
        "encode",
        "encode_key",
        "expires_at",
        "identity",
        "last",
        "limit",
        "live",
        "on_stop",
        "pending",
        "scopes",
        "send",
        "stopped",
        "write",
    )

    def __init__(
        self,
        *,
        identity: Hashable,
        scopes: frozenset[str],
        accepts: Callable[[object], bool],
        expires_at: float | None,
        limit: int,
        on_stop: Callable[[Stop], None],
        encode: Encoder | None = None,
        encode_key: Hashable = None,
        write: Callable[[object], bool] | None = None,
        send: Callable[[object], Awaitable[None]] | None = None,
    ) -> None:
        self.identity = identity
        self.scopes = scopes
        self.accepts = accepts
        self.expires_at = expires_at
        self.limit = limit
        self.on_stop = on_stop
        self.encode = encode
        self.encode_key = encode_key
        self.write = write
        self.send = send
        self.detached = False
        self.drainer: asyncio.Task[None] | None = None
        # A list, not a deque: empty, it costs 56 bytes instead of a 624-byte block per socket.
        self.pending: list[tuple[int, object]] = []
        self.stopped: Stop | None = None
        self.last = 0
        self.live = False  # replay done: events may be written directly
        self.busy = False  # the consumer holds an event it has not finished sending
        self._waiter: asyncio.Future[None] | None = None

    def offer(self, sequence: int, item: object) -> None:
        if self.stopped is not None or not self.accepts(item):
            return
        self.push(sequence, item)

    def push(self, sequence: int, item: object) -> None:
        """Hands ``item`` over as is (``accepts`` already checked by the caller)."""
        if self.stopped is not None:
            return
        write = self.write
        if write is not None and self.live and not self.busy and not self.pending:
            if sequence <= self.last:
                return
            try:
                written = write(item)
            except Exception:  # a socket torn down under us: let the consumer find out
                written = False
            if written:
                self.last = sequence
                return
        if len(self.pending) >= self.limit:
            self.stop(SLOW_CONSUMER)  # memory stays flat: nothing more is kept for it
            return
        self.pending.append((sequence, item))
        if self.detached:
            self.drain()
        else:
            self._wake()

    def detach(self) -> None:
        """From now on nobody calls ``next``: the backlog is sent by :meth:`drain`."""
        assert self.send is not None
        self.detached = True
        self.busy = False
        if self.pending:
            self.drain()

    def drain(self) -> None:
        if self.drainer is None and self.stopped is None:
            self.drainer = asyncio.get_running_loop().create_task(self._drain())

    async def _drain(self) -> None:
        assert self.send is not None
        try:
            while self.pending and self.stopped is None:
                sequence, item = self.pending.pop(0)
                if sequence <= self.last:
                    continue
                self.last = sequence
                self.busy = True
                await self.send(item)
                self.busy = False
        except Exception:  # the socket went away; its handler ends the subscription
            log.debug("backlog not sent", exc_info=True)
        finally:
            self.busy = False
            self.drainer = None

    def stop(self, reason: Stop) -> None:
        if self.stopped is None:
            self.stopped = reason
            self.pending.clear()  # nothing more reaches a stopped subscriber
            self._wake()
            self.on_stop(reason)

    def cancel_drain(self) -> None:
        if self.drainer is not None:
            with contextlib.suppress(RuntimeError):  # loop already closed
                self.drainer.cancel()

    def _wake(self) -> None:
        waiter = self._waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def next(self) -> tuple[int, object]:
        """The next queued event after ``last``; the caller has finished the previous one."""
        self.busy = False
        while True:
            if self.stopped is not None:
                raise Stopped(self.stopped)
            while self.pending:
                sequence, item = self.pending.pop(0)
                if sequence > self.last:
                    self.last = sequence
                    self.busy = True
                    return sequence, item
            self._waiter = asyncio.get_running_loop().create_future()
            try:
                await self._waiter
            finally:
                self._waiter = None


__all__ = [
    "CHANGED",
    "EXPIRED",
    "REVOKED",
    "SHUTDOWN",
    "SLOW_CONSUMER",
    "Encoder",
    "Stop",
    "Stopped",
]
