"""The heap keeps nothing it has freed: fixed malloc thresholds and a periodic trim (glibc).

Each measurement runs in a fresh interpreter: the thresholds are process-wide and a test
process's heap history would blur the figures.
"""

from __future__ import annotations

import asyncio
import logging
import subprocess
import sys
import textwrap

import pytest

from graph import allocator

pytestmark = pytest.mark.skipif(allocator.glibc() is None, reason="glibc's malloc only")

PROBE = textwrap.dedent(
    """
    import ctypes, sys
    from graph import allocator

    class MallInfo2(ctypes.Structure):
        _fields_ = [(name, ctypes.c_size_t) for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd",
            "usmblks", "fsmblks", "uordblks", "fordblks", "keepcost")]

    libc = allocator.glibc()
    libc.mallinfo2.restype = MallInfo2
    libc.malloc.restype = ctypes.c_void_p
    libc.malloc.argtypes = [ctypes.c_size_t]
    libc.free.argtypes = [ctypes.c_void_p]
    PAGE = 4096

    def resident():
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * PAGE

    def block(size):
        pointer = libc.malloc(size)
        ctypes.memset(pointer, 1, size)  # resident, not just reserved
        return pointer
    """
)


def run(body: str) -> str:
    script = PROBE + textwrap.dedent(body)
    done = subprocess.run(  # noqa: S603 - this interpreter, a fixed script
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return done.stdout.strip()


@pytest.mark.parametrize(("tuned", "mapped"), [(False, 0), (True, 1)])
def test_a_large_block_is_mapped_on_its_own_once_the_thresholds_are_fixed(
    tuned: bool, mapped: int
) -> None:
    # Untuned, freeing a 6 MiB mapped block raises glibc's mmap threshold to 6 MiB, so the next
    # 2 MiB block comes from the heap (and stays there when freed); tuned, it is mapped.
    out = run(
        f"""
        if {tuned}:
            assert allocator.tune(libc)
        libc.free(block(6 << 20))
        before = libc.mallinfo2().hblks
        two = block(2 << 20)
        print(libc.mallinfo2().hblks - before)
        """
    )
    assert int(out) == mapped


def test_trim_hands_back_the_free_pages_in_the_middle_of_the_heap() -> None:
    # 24 MiB of 64 KiB blocks from the heap, freed, with one block kept above them: no threshold
    # can give the heap's top back, only malloc_trim reaches the pages below it.
    out = run(
        """
        allocator.tune(libc)
        blocks = [block(64 << 10) for _ in range(384)]
        kept = block(64 << 10)
        for pointer in blocks:
            libc.free(pointer)
        before = resident()
        done = allocator.trim(libc)
        after = resident()
        print(before - after, done.released)
        """
    )
    released_bytes, released = out.split()
    assert int(released_bytes) > 20 << 20
    assert released == "True"


async def test_the_trim_runs_again_and_again_until_cancelled(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=allocator.__name__)
    assert allocator.keep_heap_small(0) is None  # AESCRM_MEMORY_TRIM_SECONDS=0: never
    task = allocator.keep_heap_small(0.01)
    assert task is not None
    await asyncio.sleep(0.3)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    trims = [r for r in caplog.records if r.getMessage() == "heap trimmed"]
    assert len(trims) >= 3
    count = len(trims)
    await asyncio.sleep(0.05)
    assert len([r for r in caplog.records if r.getMessage() == "heap trimmed"]) == count
