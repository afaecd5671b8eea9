"""Keeping a long-running worker's C heap from holding memory it has freed (glibc only).

An hour's soak showed a worker's resident size rise in steps of 15-20 MB that never came back,
with 4-34 MB of its heap free but still resident. glibc's malloc raises its mmap threshold to
the size of the largest block it has unmapped (up to 32 MiB) and its trim threshold to twice
that: after one large buffer, blocks of several MiB come from the heap and the heap keeps up to
64 MiB of free top before it gives any back. Two remedies, both outside the request path:

- ``tune``: fixed thresholds (which turns the sliding off). Blocks of 1 MiB and more are mapped
  and unmapped on their own; a board response (~150 KB) still comes from the heap, so a request
  costs no extra system calls or page faults.
- ``trim_forever``: ``malloc_trim(0)`` every so often, in a thread (ctypes lets go of the GIL),
  hands the free pages in the middle of the heap back too, which no threshold reaches.

On another C library (musl, macOS) both do nothing.
"""

from __future__ import annotations

import asyncio
import ctypes
import logging
import sys
import time
from dataclasses import dataclass

__all__ = [
    "MMAP_THRESHOLD_BYTES",
    "TRIM_THRESHOLD_BYTES",
    "Trimmed",
    "glibc",
    "keep_heap_small",
    "trim",
    "trim_forever",
    "tune",
]

log = logging.getLogger(__name__)

# mallopt(3) parameters
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 1 << 20
# What glibc's own sliding would pair with that mmap threshold (twice it).
TRIM_THRESHOLD_BYTES = 2 * MMAP_THRESHOLD_BYTES


def glibc() -> ctypes.CDLL | None:
    """The running glibc, or None on any other C library."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(None)
        version = libc.gnu_get_libc_version  # glibc's own symbol: absent from musl
        libc.malloc_trim  # noqa: B018 - present in every glibc this service runs on
    except (OSError, AttributeError):
        return None
    version.restype = ctypes.c_char_p
    libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    libc.malloc_trim.argtypes = [ctypes.c_size_t]
    return libc


def tune(libc: ctypes.CDLL | None = None) -> bool:
    """Fix the mmap and trim thresholds of this process; False where that is not possible."""
    libc = libc or glibc()
    if libc is None:
        return False
    mapped = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES) == 1
    trimmed = libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES) == 1
    return bool(mapped and trimmed)


@dataclass(frozen=True, slots=True)
class Trimmed:
    released: bool  # malloc_trim found pages to give back
    seconds: float


def trim(libc: ctypes.CDLL | None = None) -> Trimmed | None:
    """Give the heap's free pages back to the system now; None where that is not possible."""
    libc = libc or glibc()
    if libc is None:
        return None
    started = time.perf_counter()
    released = bool(libc.malloc_trim(0))
    return Trimmed(released, time.perf_counter() - started)


async def trim_forever(every_seconds: float) -> None:
    """``trim`` every ``every_seconds`` until cancelled (the server's lifespan owns the task)."""
    libc = glibc()
    if libc is None:
        return
    while True:
        await asyncio.sleep(every_seconds)
        done = await asyncio.to_thread(trim, libc)
        if done is not None:
            log.debug(
                "heap trimmed",
                extra={"released": done.released, "ms": round(done.seconds * 1000, 2)},
            )


def keep_heap_small(every_seconds: float) -> asyncio.Task[None] | None:
    """``tune`` this process and start ``trim_forever`` (None when ``every_seconds`` is 0): what
    a long-running process (server worker, job worker) does once at start; it owns the task."""
    tune()
    if not every_seconds:
        return None
    return asyncio.create_task(trim_forever(every_seconds))
