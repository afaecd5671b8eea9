"""A day's board reads that day: what overlaps it, and on PostgreSQL an index range that does not
grow with the practice's history.

The statement once bounded the start only from above (``starts_at < end AND ends_at > start``):
the (practice, start) index range then began at the practice's first appointment, so every board
request walked, and filtered out, every appointment the practice ever had before that day.
Appointments last at most ``LONGEST_APPOINTMENT`` (booking refuses longer), which bounds it below.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from db.models import Appointment
from db.models.appointments import LONGEST_APPOINTMENT
from db.queries import board
from db.tenancy import PracticeId
from tests.pg_plans import postgres_connection, read_and_scan
from tests.scheduling_fixtures import Diary, diary

pytestmark = pytest.mark.usefixtures("db")
DAY = datetime(2030, 1, 15, tzinfo=UTC)
HISTORY_DAYS = 60
PER_DAY = 8


async def _practice_with_history() -> tuple[Diary, dict[str, datetime]]:
    d = await diary()
    history = [
        d.appointment(start, start + timedelta(minutes=30))
        for days in range(1, HISTORY_DAYS + 1)
        for n in range(PER_DAY)
        for start in [DAY - timedelta(days=days) + timedelta(hours=8, minutes=45 * n)]
    ]
    edges = {
        # Overnight, the longest allowed, into the day: on the board.
        "overnight": DAY - LONGEST_APPOINTMENT + timedelta(minutes=1),
        # Ends exactly as the day begins: not on it.
        "ended": DAY - timedelta(hours=1),
        "morning": DAY + timedelta(hours=9),
        "evening": DAY + timedelta(hours=23, minutes=30),
        "tomorrow": DAY + timedelta(days=1),
    }
    lengths = {"overnight": LONGEST_APPOINTMENT, "ended": timedelta(hours=1)}
    await Appointment.bulk_create(
        history
        + [
            d.appointment(start, start + lengths.get(name, timedelta(minutes=30)))
            for name, start in edges.items()
        ]
    )
    return d, edges


async def test_the_board_shows_what_overlaps_the_day_and_nothing_else() -> None:
    d, edges = await _practice_with_history()
    practice = PracticeId(UUID(str(d.practice.id)))
    rows = await board.board_rows(practice, DAY, DAY + timedelta(days=1))
    assert [row.starts_at for row in rows] == [
        edges["overnight"],
        edges["morning"],
        edges["evening"],
    ]


async def test_on_postgresql_the_board_reads_the_day_not_the_practices_history(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    postgres_connection(Appointment)
    d, _ = await _practice_with_history()
    practice = PracticeId(UUID(str(d.practice.id)))
    rows, scanned = await read_and_scan(
        monkeypatch,
        Appointment,
        lambda: board.board_rows(practice, DAY, DAY + timedelta(days=1)),
        statement_with="FROM appointment a",
    )
    # The day's rows and those that began within LONGEST_APPOINTMENT before it; without the
    # lower bound, every one of the 480 appointments of the 60 days before.
    assert len(rows) == 3
    assert scanned <= len(rows) + PER_DAY + 2, scanned
