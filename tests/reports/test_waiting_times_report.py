"""The waiting-times report against hand-counted stamps: waits (ARRIVED to IN_SURGERY) and
chair times (IN_SURGERY to COMPLETED) summed and counted, so the period's average is the
visits' average and not the average of the weeks' averages; the roll-up adds practices."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from db.models import AuditEvent
from services.policy import Role
from tests.factories import gql
from tests.reports.report_support import Group, appointment, group, local, token_for
from tests.scheduling_fixtures import Diary

REPORT = """
query W($p: ID, $o: ID, $period: ReportPeriodInput!) {
  waitingTimesReport(practiceId: $p, organizationId: $o, period: $period) {
    scope { name }
    practices { practice { id } buckets { firstDay waitedVisits totalWaitSeconds
        averageWaitMinutes chairVisits totalChairSeconds averageChairMinutes }
      total { waitedVisits totalWaitSeconds averageWaitMinutes chairVisits totalChairSeconds
        averageChairMinutes } }
    combined { buckets { waitedVisits totalWaitSeconds averageWaitMinutes }
      total { waitedVisits totalWaitSeconds averageWaitMinutes chairVisits totalChairSeconds
        averageChairMinutes } } } }"""

# Monday 2 to Sunday 15 November 2026 (GMT), by week.
WEEKS = {"from": "2026-11-02", "to": "2026-11-15", "grouping": "WEEK"}


async def visit(
    where: Diary,
    at: datetime,
    status: str,
    arrived: float | None = None,
    seated: float | None = None,
    completed: float | None = None,
) -> None:
    """A visit starting at ``at``, stamped the given seconds after its start."""
    start = at.astimezone(UTC)

    def stamp(seconds: float | None) -> datetime | None:
        return None if seconds is None else start + timedelta(seconds=seconds)

    await appointment(
        where,
        start,
        status,
        arrived_at=stamp(arrived),
        seated_at=stamp(seated),
        completed_at=stamp(completed),
    )


async def _diary() -> Group:
    """Week 1 waits 600 + 1800 + 570 = 2970 s over 3 (990 s = 16.5 min); chair 1800 + 2700 =
    4500 s over 2 (37.5 min). Week 2: wait 45 s (0.4 s rounds away), chair 1200 s. Period:
    3015 s over 4 = 12.56 min (the weeks' averages would give 8.63), chair 5700 s over 3."""
    g = await group()
    a = g.a
    await visit(a, local(2026, 11, 2, 9), "COMPLETED", -300, 300, 2100)
    await visit(a, local(2026, 11, 3, 10), "COMPLETED", -600, 1200, 3900)
    await visit(a, local(2026, 11, 4, 11), "IN_SURGERY", 30, 600)  # no completion yet
    await visit(a, local(2026, 11, 5, 11), "ARRIVED", 0)  # waiting still: not counted
    await visit(a, local(2026, 11, 6, 11), "DID_NOT_ATTEND")
    await visit(a, local(2026, 11, 9, 9), "COMPLETED", 0, 45.4, 1245.4)
    await visit(a, local(2026, 11, 16, 9), "COMPLETED", 0, 999, 9999)  # after the period
    await visit(g.b, local(2026, 11, 3, 9), "COMPLETED", 0, 400, 1000)
    await visit(g.other, local(2026, 11, 3, 9), "COMPLETED", 0, 9000, 9900)  # other org
    return g


async def test_sums_counts_and_averages(client: httpx.AsyncClient) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    report = result.data["waitingTimesReport"]
    assert report["scope"]["name"] == "waitingTimes"
    first, second = report["practices"][0]["buckets"]
    assert first == {
        "firstDay": "2026-11-02",
        "waitedVisits": 3,
        "totalWaitSeconds": 2970,
        "averageWaitMinutes": 16.5,
        "chairVisits": 2,
        "totalChairSeconds": 4500,
        "averageChairMinutes": 37.5,
    }
    assert second == {
        "firstDay": "2026-11-09",
        "waitedVisits": 1,
        "totalWaitSeconds": 45,
        "averageWaitMinutes": 0.75,
        "chairVisits": 1,
        "totalChairSeconds": 1200,
        "averageChairMinutes": 20.0,
    }
    assert report["practices"][0]["total"] == {
        "waitedVisits": 4,
        "totalWaitSeconds": 3015,
        "averageWaitMinutes": 12.56,  # 3015 / 4 / 60, not (16.5 + 0.75) / 2
        "chairVisits": 3,
        "totalChairSeconds": 5700,
        "averageChairMinutes": 31.67,
    }
    rows = await AuditEvent.filter(entity_type="Report:waitingTimes")
    assert len(rows) == 1
    assert f"practiceId={g.a.practice.id}" in rows[0].fields_read


async def test_the_roll_up_adds_sums_and_counts(client: httpx.AsyncClient) -> None:
    g = await _diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    report: dict[str, Any] = result.data["waitingTimesReport"]
    assert len(report["practices"]) == 2
    combined = report["combined"]
    assert combined["buckets"][0] == {
        "waitedVisits": 4,
        "totalWaitSeconds": 3370,
        "averageWaitMinutes": 14.04,  # 3370 / 4 / 60
    }
    totals = [p["total"] for p in report["practices"]]
    for name in ("waitedVisits", "totalWaitSeconds", "chairVisits", "totalChairSeconds"):
        assert combined["total"][name] == sum(t[name] for t in totals)
    assert combined["total"]["averageWaitMinutes"] == 11.38  # 3415 / 5 / 60
    assert combined["total"]["averageChairMinutes"] == 26.25  # 6300 / 4 / 60
