"""Available time is remembered by the value of everything it is made of: asking again with the
same sessions, absences and buckets gives the remembered answer; any change to them (an
absence, a session moved by a minute, another zone) is a different question, answered afresh."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4
from zoneinfo import ZoneInfo

import pytest

from db.models import WorkingSession
from db.queries.report_utilisation import SetUpRows
from services.reports import available_time, periods

# Pure computation: the ORM is opened (model instances need it) on SQLite only.
pytestmark = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
LONDON = ZoneInfo("Europe/London")
WEEK = periods.period(date(2026, 3, 2), date(2026, 3, 8), "DAY")


def _rows(start_minute: int = 9 * 60, absent: bool = False) -> SetUpRows:
    who, room = PERSON, ROOM
    rows = SetUpRows(
        sessions=[
            WorkingSession(
                practice_id=uuid4(), practitioner_id=who, room_id=room, weekday=day,
                start_minute=start_minute, end_minute=17 * 60, valid_from=date(2026, 1, 1),
                valid_until=None,
            )
            for day in range(5)
        ]
    )  # fmt: skip
    if absent:  # Tuesday 12:00-14:00 UTC (GMT in March before the clocks change)
        rows.absent[who] = [
            (datetime(2026, 3, 3, 12, tzinfo=UTC), datetime(2026, 3, 3, 14, tzinfo=UTC))
        ]
    return rows


PERSON, ROOM = uuid4(), uuid4()


async def test_the_same_inputs_are_answered_from_memory_and_changed_ones_afresh(db: str) -> None:
    """(``db``: model instances need the ORM initialised, not a row of it.)"""
    cut = periods.buckets(WEEK, LONDON)
    first = available_time.per_bucket(_rows(), cut, LONDON)
    assert first.practitioners[(1, PERSON)] == 8 * 3600  # Tuesday, 09:00-17:00
    assert available_time.per_bucket(_rows(), cut, LONDON) is first  # new rows, same values
    absent = available_time.per_bucket(_rows(absent=True), cut, LONDON)
    assert absent.practitioners[(1, PERSON)] == 6 * 3600
    assert absent.rooms[(1, ROOM)] == 6 * 3600
    later = available_time.per_bucket(_rows(start_minute=9 * 60 + 1), cut, LONDON)
    assert later.practitioners[(0, PERSON)] == 8 * 3600 - 60
    elsewhere = available_time.per_bucket(
        _rows(), periods.buckets(WEEK, ZoneInfo("UTC")), ZoneInfo("UTC")
    )
    assert elsewhere is not first


async def test_the_memory_is_bounded(db: str) -> None:
    cut = periods.buckets(WEEK, LONDON)
    for minute in range(available_time.MEMO_SIZE + 10):
        available_time.per_bucket(
            _rows(start_minute=8 * 60 + minute % 60 + 60 * (minute // 60)), cut, LONDON
        )
    assert len(available_time._memo) <= available_time.MEMO_SIZE
