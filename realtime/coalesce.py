"""At most one announcement per window, and never a lost last one.

A dashboard refetches its figures on each announcement, so a burst of twenty bookings should be
one refetch, not twenty — but the refetch must come after the last of them. ``coalesced`` yields
the first change at once (leading edge), then holds whatever arrives for ``window`` seconds and
yields it merged at the window's end (trailing edge), then waits quietly for the next change.
So a subscriber gets at most one item per window, and the final state after any burst is always
announced within one window of it. It runs per subscriber, on the subscriber's own stream.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import TypeVar, cast

T = TypeVar("T")
_END = object()


async def _next(source: AsyncIterator[T]) -> object:
    try:
        return await anext(source)
    except StopAsyncIteration:
        return _END


async def coalesced(
    source: AsyncIterator[T], window: float, merge: Callable[[T, T], T]
) -> AsyncIterator[T]:
    loop = asyncio.get_running_loop()
    pending: asyncio.Task[object] | None = None
    held: T | None = None  # arrived, not yet announced
    quiet_until = 0.0  # nothing is announced before this (loop time)
    try:
        while True:
            if pending is None:
                pending = loop.create_task(_next(source))
            wait = None if held is None else max(0.0, quiet_until - loop.time())
            done, _ = await asyncio.wait({pending}, timeout=wait)
            if pending in done:
                finished, pending = pending, None
                item = finished.result()
                if item is _END:
                    if held is not None:
                        yield held  # the source ended: still announce what it said last
                    return
                arrived = cast("T", item)
                held = arrived if held is None else merge(held, arrived)
            if held is not None and loop.time() >= quiet_until:
                announced, held = held, None
                quiet_until = loop.time() + window
                yield announced
    finally:
        if pending is not None:
            pending.cancel()
            await asyncio.wait({pending})  # the source is not closed while it is running
            if not pending.cancelled():
                pending.exception()  # retrieved: it ended with us
        close = getattr(source, "aclose", None)
        if close is not None:
            await close()


__all__ = ["coalesced"]
