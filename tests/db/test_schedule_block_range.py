"""The conflict checks read the blocks near the time asked about: what overlaps it, and on
PostgreSQL an index range that does not grow with a practitioner's (or room's) history.

Booking, rescheduling and holds each asked for a key's blocks with ``starts_at < end AND
ends_at > start``: the (key, start) index range then began at the key's first block ever, so
every booking walked a practitioner's whole diary. A block is an appointment (at most
``LONGEST_APPOINTMENT``) plus its type's buffer (at most ``LONGEST_BUFFER_MINUTES``):
``LONGEST_BLOCK`` bounds the range below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime, timedelta

import pytest

from db.models import ScheduleBlock
from db.models.appointments import LONGEST_BLOCK
from db.queries import schedule
from tests.pg_plans import postgres_connection, read_and_scan
from tests.scheduling_fixtures import diary

pytestmark = pytest.mark.usefixtures("db")
START = datetime(2030, 1, 15, 9, tzinfo=UTC)
END = START + timedelta(hours=1)
HISTORY_DAYS = 60
PER_DAY = 8


async def _keys_with_history() -> tuple[list[str], dict[str, datetime]]:
    """A practitioner with 60 days of blocks and a room with the longest block there can be
    (a key's active blocks never overlap one another); a patient, busy too, not asked about."""
    d = await diary()
    key, room, other = (
        f"practitioner:{d.dentist.id}",
        f"room:{d.room.id}",
        f"patient:{d.patient.id}",
    )
    half_hour = timedelta(minutes=30)
    starts = [
        START - timedelta(days=days) + timedelta(minutes=45 * n)
        for days in range(1, HISTORY_DAYS + 1)
        for n in range(PER_DAY)
    ]
    edges = {
        # The longest block there can be, begun just long enough ago to reach into the span.
        "longest": START - LONGEST_BLOCK + timedelta(minutes=1),
        # Ends exactly as the span begins: no clash.
        "ended": START - half_hour,
        "inside": START + timedelta(minutes=15),
        "after": END,
    }
    lengths = {"longest": LONGEST_BLOCK}
    blocks = [(key, s, s + half_hour) for s in starts]
    blocks += [
        (room if name == "longest" else key, s, s + lengths.get(name, half_hour))
        for name, s in edges.items()
    ]
    blocks.append((other, START, END))
    await ScheduleBlock.bulk_create(
        [
            ScheduleBlock(practice_id=d.practice.id, key=k, starts_at=s, ends_at=e)
            for k, s, e in blocks
        ]
    )
    return [key, room], edges


async def test_the_checks_find_what_overlaps_the_span_and_nothing_else() -> None:
    keys, edges = await _keys_with_history()
    found = await schedule.clashes(keys, START, END)
    assert sorted(block.starts_at for block in found) == [edges["longest"], edges["inside"]]
    free = await schedule.blocks_for(keys, START, END, START)
    assert sorted(begins for _, begins, _ in free) == [edges["longest"], edges["inside"]]


async def test_on_postgresql_a_check_reads_the_span_not_the_keys_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres_connection(ScheduleBlock)
    keys, _ = await _keys_with_history()
    reads: tuple[Callable[[], Awaitable[Sequence[object]]], ...] = (
        lambda: schedule.clashes(keys, START, END),
        lambda: schedule.blocks_for(keys, START, END, START),
    )
    for read in reads:
        rows, scanned = await read_and_scan(
            monkeypatch, ScheduleBlock, read, statement_with="schedule_block"
        )
        # The two blocks that overlap and those of the day before that began within
        # LONGEST_BLOCK; without the lower bound, all 480 blocks of the 60 days before.
        assert len(rows) == 2
        assert scanned <= len(rows) + PER_DAY + 2, scanned
