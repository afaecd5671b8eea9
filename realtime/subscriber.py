"""One subscription's bounded queue and the reasons it may be stopped."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass

Encoder = Callable[[object], Awaitable[object]]
"""Turns a rendered event into what the subscription's consumer writes (e.g. a payload)."""


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
    """

    __slots__ = (
        "_wake",
        "accepts",
        "encode",
        "encode_key",
        "expires_at",
        "identity",
        "limit",
        "on_stop",
        "pending",
        "scopes",
        "stopped",
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
    ) -> None:
        self.identity = identity
        self.scopes = scopes
        self.accepts = accepts
        self.expires_at = expires_at
        self.limit = limit
        self.on_stop = on_stop
        self.encode = encode
        self.encode_key = encode_key
        self.pending: deque[tuple[int, object]] = deque()
        self.stopped: Stop | None = None
        self._wake = asyncio.Event()

    def offer(self, sequence: int, item: object) -> None:
        if self.stopped is not None or not self.accepts(item):
            return
        self.push(sequence, item)

    def push(self, sequence: int, item: object) -> None:
        """Queues ``item`` as is (``accepts`` already checked by the caller)."""
        if self.stopped is not None:
            return
        if len(self.pending) >= self.limit:
            self.stop(SLOW_CONSUMER)  # memory stays flat: nothing more is kept for it
            return
        self.pending.append((sequence, item))
        self._wake.set()

    def stop(self, reason: Stop) -> None:
        if self.stopped is None:
            self.stopped = reason
            self.pending.clear()  # nothing more reaches a stopped subscriber
            self._wake.set()
            self.on_stop(reason)

    async def next(self) -> tuple[int, object]:
        while True:
            if self.stopped is not None:
                raise Stopped(self.stopped)
            if self.pending:
                return self.pending.popleft()
            self._wake.clear()
            await self._wake.wait()


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
