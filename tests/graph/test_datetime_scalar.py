"""``DateTime`` answers exactly what Strawberry's ``isoformat`` serialiser answered.

``graph.schema.datetime_scalar`` takes a faster road (orjson) for times in UTC; a client must
not be able to tell: same text for every instant, every precision and every year, and the old
road for every other kind of time.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from graphql import GraphQLScalarType
from hypothesis import given
from hypothesis import strategies as st

from graph.schema import build_schema
from graph.schema.datetime_scalar import serialize_datetime


@given(st.datetimes(timezones=st.just(UTC)))
def test_any_instant_in_utc_reads_as_isoformat_reads_it(value: datetime) -> None:
    assert serialize_datetime(value) == value.isoformat()


class Stamped(datetime):
    """A subclass may format itself: it keeps its own ``isoformat``."""

    def isoformat(self, sep: str = "T", timespec: str = "auto") -> str:
        return "stamped"


@pytest.mark.parametrize(
    "value",
    [
        datetime(2030, 1, 15, 8, 0, tzinfo=UTC),
        datetime(2030, 1, 15, 8, 0, 0, 1, tzinfo=UTC),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
        datetime(2030, 7, 1, 9, 30, tzinfo=ZoneInfo("Europe/London")),  # BST: +01:00
        datetime(2030, 7, 1, 9, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1847, 11, 1, tzinfo=ZoneInfo("Europe/London")),  # LMT: an offset in seconds
        datetime(2030, 1, 15, 8, 0),  # naive
    ],
    ids=["utc", "utc-microsecond", "year-1", "year-999", "bst", "ist", "lmt", "naive"],
)
def test_every_other_time_keeps_isoformat(value: datetime) -> None:
    assert serialize_datetime(value) == value.isoformat()


def test_a_datetime_subclass_keeps_its_own_isoformat() -> None:
    assert serialize_datetime(Stamped(2030, 1, 15, tzinfo=UTC)) == "stamped"


def test_the_schema_serialises_datetime_with_it_and_prints_it_as_before() -> None:
    scalar = build_schema()._schema.type_map["DateTime"]
    assert isinstance(scalar, GraphQLScalarType)
    assert scalar.serialize is serialize_datetime
    assert scalar.description == "Date with time (isoformat)"
    assert scalar.parse_value("2030-01-15T08:00:00+01:00") == datetime(
        2030, 1, 15, 7, 0, tzinfo=UTC
    )
