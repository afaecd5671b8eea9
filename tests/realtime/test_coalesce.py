"""``realtime.coalesce``: the first change at once, the rest of a burst merged into one trailing
item at the window's end (nothing lost), quiet when nothing happens, the source closed after."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from realtime.coalesce import coalesced

WINDOW = 0.3


class Source:
    def __init__(self) -> None:
        self.queue: asyncio.Queue[list[int] | None] = asyncio.Queue()
        self.closed = False

    async def stream(self) -> AsyncIterator[list[int]]:
        try:
            while (item := await self.queue.get()) is not None:
                yield item
        finally:
            self.closed = True


def _joined(a: list[int], b: list[int]) -> list[int]:
    return a + b


async def test_a_burst_is_one_leading_and_one_trailing_item_with_everything_in_it() -> None:
    source = Source()
    out = coalesced(source.stream(), WINDOW, _joined)
    for n in range(1, 21):
        source.queue.put_nowait([n])
    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await anext(out) == [1]
    assert await anext(out) == list(range(2, 21))  # the trailing item: the last change too
    assert loop.time() - began >= WINDOW * 0.9
    # Quiet: nothing more until the next change, which then goes out at once.
    waiting = asyncio.ensure_future(anext(out))
    await asyncio.sleep(WINDOW * 2)
    assert not waiting.done()
    source.queue.put_nowait([21])
    assert await asyncio.wait_for(waiting, WINDOW / 2) == [21]
    await out.aclose()  # type: ignore[attr-defined]
    assert source.closed


async def test_changes_inside_a_window_wait_for_its_end_and_a_source_that_ends_is_flushed() -> None:
    source = Source()
    out = coalesced(source.stream(), WINDOW, _joined)
    source.queue.put_nowait([1])
    assert await anext(out) == [1]
    source.queue.put_nowait([2])
    await asyncio.sleep(WINDOW / 3)
    source.queue.put_nowait([3])
    source.queue.put_nowait(None)  # the source ends inside the window
    assert [item async for item in out] == [[2, 3]]
    assert source.closed


async def test_closing_while_waiting_cancels_the_read_and_closes_the_source() -> None:
    source = Source()
    out = coalesced(source.stream(), WINDOW, _joined)
    reading = asyncio.ensure_future(anext(out))
    await asyncio.sleep(0.05)
    reading.cancel()
    await asyncio.gather(reading, return_exceptions=True)
    await out.aclose()  # type: ignore[attr-defined]
    assert source.closed
