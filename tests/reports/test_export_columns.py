"""The CSV export's generic columns, for figures shaped unlike attendance: a mapping of nested
counts by key (every key seen anywhere, sorted), derived columns after the fields, a figures type
naming its own columns, text neutralised and numbers left alone; and the catalogue refusing
filters for a report that takes none."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

import pytest

from db.queries.report_diary import DiaryFilter
from db.tenancy import PracticeId
from services.errors import ValidationFailed
from services.reports import catalogue, export, periods, series
from services.reports.reach import PracticeCalendar, Reach

LONDON = ZoneInfo("Europe/London")


@dataclass(frozen=True, slots=True)
class Tally:
    cancelled: int = 0
    late: int = 0

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.cancelled + other.cancelled, self.late + other.late)


@dataclass(frozen=True, slots=True)
class ByReason:
    booked: int = 0
    by_reason: Mapping[str, Tally] = field(default_factory=dict)
    note: str = ""

    def __add__(self, other: ByReason) -> ByReason:
        merged = dict(self.by_reason)
        for key, tally in other.by_reason.items():
            merged[key] = merged.get(key, Tally()) + tally
        return ByReason(self.booked + other.booked, merged, self.note or other.note)

    def derived_columns(self) -> dict[str, float | None]:
        cancelled = sum(t.cancelled for t in self.by_reason.values())
        return {"cancelled_share": series.rate(cancelled, self.booked)}


@dataclass(frozen=True, slots=True)
class Keyed:
    sums: tuple[tuple[str, int], ...] = ()

    def __add__(self, other: Keyed) -> Keyed:
        return Keyed(self.sums + other.sums)

    def export_columns(self) -> dict[str, object]:
        return {f"received.{k}": v for k, v in sorted(self.sums)}


def _calendar(name: str) -> PracticeCalendar:
    # The tests build a reach by hand: no tenant id is minted here, only a typed placeholder.
    return PracticeCalendar(PracticeId(uuid4()), name, LONDON)  # type: ignore[call-arg]


def _report(figures: dict[tuple[UUID, int], object], zero: object, *places: PracticeCalendar):
    period = periods.period(date(2026, 3, 23), date(2026, 4, 5), "WEEK")
    reach = Reach(uuid4() if len(places) > 1 else None, list(places))  # type: ignore[arg-type]
    return series.assemble("test", reach, period, figures, zero)  # type: ignore[arg-type]


def _rows(found: series.Report) -> list[list[str]]:  # type: ignore[type-arg]
    return [list(r) for r in export.rows(found)]


def test_a_mapping_of_counts_becomes_a_column_per_key_seen_anywhere() -> None:
    a, b = _calendar("Alpha"), _calendar("@Beta")
    figures = {
        (a.practice_id, 0): ByReason(4, {"ILLNESS": Tally(1, 1)}, "ok"),
        (b.practice_id, 1): ByReason(2, {"COST": Tally(2, 0)}, "-minus"),
    }
    rows = _rows(_report(figures, ByReason(), a, b))
    assert rows[0][4:] == [
        "booked",
        "by_reason.COST.cancelled",
        "by_reason.COST.late",
        "by_reason.ILLNESS.cancelled",
        "by_reason.ILLNESS.late",
        "note",
        "cancelled_share",
    ]
    alpha_first = rows[1]
    assert alpha_first[1] == "Alpha"
    assert alpha_first[4:] == ["4", "", "", "1", "1", "ok", "0.25"]
    beta_second = rows[4]
    assert beta_second[1] == "'@Beta"  # a formula-looking name is quoted
    assert beta_second[4:] == ["2", "2", "0", "", "", "'-minus", "1.0"]
    combined = rows[5:]
    assert [r[1] for r in combined] == ["All practices", "All practices"]
    assert combined[0][4:] == ["4", "", "", "1", "1", "ok", "0.25"]
    assert rows[3][4:] == ["0", "", "", "", "", "", ""]  # an empty bucket: no rate


def test_a_figures_type_may_name_its_own_columns() -> None:
    a = _calendar("Alpha")
    figures = {(a.practice_id, 0): Keyed((("CARD", -1250), ("CASH", 300)))}
    rows = _rows(_report(figures, Keyed(), a))
    assert rows[0][4:] == ["received.CARD", "received.CASH"]
    assert rows[1][4:] == ["-1250", "300"]  # a negative number stays a number
    assert rows[2][4:] == ["", ""]
    assert len(rows) == 3  # a practice report has no combined rows


async def test_filters_for_a_report_that_takes_none_are_refused() -> None:
    async def unfiltered(principal: object, **_: object) -> series.Report:  # type: ignore[type-arg]
        raise AssertionError("not reached")

    entry = catalogue.Entry("money", unfiltered, filtered=False)
    with pytest.raises(ValidationFailed) as refused:
        await catalogue.run(
            entry,
            None,  # type: ignore[arg-type]
            practice_id=uuid4(),
            organization_id=None,
            first_day=date(2026, 1, 1),
            last_day=date(2026, 1, 31),
            grouping="WEEK",
            filters=DiaryFilter(practitioner_ids=(uuid4(),)),
        )
    assert refused.value.field == "practitionerIds"


def test_every_catalogued_report_is_found_and_says_whether_it_takes_filters() -> None:
    found = {e.name: e.filtered for e in catalogue.entries()}
    assert found["attendance"] is True
