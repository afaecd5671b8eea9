"""The attendance report against a hand-counted diary: buckets by the practice's own days
across the spring clock change, cancellations (late or not) and DNAs, portal bookings, the
organisation roll-up, who may ask, bad input, and the one audit row per read."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from db.models import AuditEvent
from services.policy import Role
from tests.factories import gql
from tests.reports.report_support import appointment, group, local, token_for

REPORT = """
query R($p: ID, $o: ID, $period: ReportPeriodInput!, $f: DiaryReportFilterInput) {
  attendanceReport(practiceId: $p, organizationId: $o, period: $period, filter: $f) {
    scope { name organizationId firstDay lastDay grouping }
    practices { practice { id name timeZone } buckets { firstDay lastDay appointments completed
      cancelled lateCancelled didNotAttend online dnaRate lateCancellationRate onlineShare }
      total { appointments didNotAttend dnaRate } }
    combined { practice { id } buckets { firstDay appointments completed didNotAttend online }
      total { appointments completed cancelled lateCancelled didNotAttend online dnaRate } } } }"""

# Monday 23 March to Sunday 5 April 2026: the clocks go forward on Sunday 29 March at 01:00 UTC.
SPRING = {"from": "2026-03-23", "to": "2026-04-05", "grouping": "WEEK"}


async def _spring_diary() -> Any:
    g = await group()
    a = g.a
    await appointment(a, local(2026, 3, 22, 23, 59), "COMPLETED")  # the Sunday before: out
    await appointment(a, local(2026, 3, 23, 10), "COMPLETED")
    await appointment(
        a, local(2026, 3, 25, 11), "CANCELLED", late_cancellation=True, source="PORTAL"
    )
    await appointment(a, local(2026, 3, 26, 9), "DID_NOT_ATTEND")
    await appointment(a, local(2026, 3, 27, 9), "CANCELLED")
    # 23:30 BST on Sunday 29th is 22:30 UTC: still the first week.
    await appointment(a, local(2026, 3, 29, 23, 30), "COMPLETED", source="PORTAL")
    # 00:30 BST on Monday 30th is 23:30 UTC on Sunday: the second week, not the first.
    await appointment(a, local(2026, 3, 30, 0, 30), "DID_NOT_ATTEND")
    await appointment(a, local(2026, 3, 31, 14), "BOOKED")
    await appointment(a, local(2026, 4, 6, 0, 10), "COMPLETED")  # 23:10 UTC on the 5th: out
    await appointment(g.b, local(2026, 3, 24, 10), "COMPLETED")
    await appointment(g.other, local(2026, 3, 24, 10), "DID_NOT_ATTEND")  # another organisation
    return g


async def test_practice_weeks_follow_the_local_calendar_across_the_clock_change(
    client: httpx.AsyncClient,
) -> None:
    g = await _spring_diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": SPRING}, token=token)
    assert result.errors == [], result.errors
    report = result.data["attendanceReport"]
    assert report["scope"] == {
        "name": "attendance",
        "organizationId": None,
        "firstDay": "2026-03-23",
        "lastDay": "2026-04-05",
        "grouping": "WEEK",
    }
    (series,) = report["practices"]
    assert series["practice"]["timeZone"] == "Europe/London"
    first, second = series["buckets"]
    assert first == {
        "firstDay": "2026-03-23",
        "lastDay": "2026-03-29",
        "appointments": 5,
        "completed": 2,
        "cancelled": 2,
        "lateCancelled": 1,
        "didNotAttend": 1,
        "online": 2,
        "dnaRate": 0.3333,  # 1 missed of 3 due (5 less 2 cancelled)
        "lateCancellationRate": 0.2,
        "onlineShare": 0.4,
    }
    assert second["firstDay"] == "2026-03-30"
    assert second["lastDay"] == "2026-04-05"
    assert (second["appointments"], second["didNotAttend"], second["dnaRate"]) == (2, 1, 0.5)
    assert series["total"] == {"appointments": 7, "didNotAttend": 2, "dnaRate": 0.4}
    assert report["combined"]["total"]["appointments"] == 7


async def test_days_and_months_cut_the_same_diary(client: httpx.AsyncClient) -> None:
    g = await _spring_diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    days = {"from": "2026-03-29", "to": "2026-03-30", "grouping": "DAY"}
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": days}, token=token)
    assert result.errors == [], result.errors
    buckets = result.data["attendanceReport"]["practices"][0]["buckets"]
    assert [(b["firstDay"], b["appointments"]) for b in buckets] == [
        ("2026-03-29", 1),
        ("2026-03-30", 1),
    ]
    months = {"from": "2026-03-15", "to": "2026-04-10", "grouping": "MONTH"}
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": months}, token=token)
    buckets = result.data["attendanceReport"]["practices"][0]["buckets"]
    assert [(b["firstDay"], b["lastDay"], b["appointments"]) for b in buckets] == [
        ("2026-03-15", "2026-03-31", 8),  # the 22nd and all seven above; April's are not
        ("2026-04-01", "2026-04-10", 1),
    ]


async def test_organisation_roll_up_counts_its_practices_only(client: httpx.AsyncClient) -> None:
    g = await _spring_diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": SPRING}, token=token)
    assert result.errors == [], result.errors
    report = result.data["attendanceReport"]
    assert report["scope"]["organizationId"] == str(g.organization.id)
    ids = {s["practice"]["id"] for s in report["practices"]}
    assert ids == {str(g.a.practice.id), str(g.b.practice.id)}
    combined = report["combined"]
    assert combined["practice"] is None
    assert [b["appointments"] for b in combined["buckets"]] == [6, 2]
    assert combined["total"] == {
        "appointments": 8,
        "completed": 3,
        "cancelled": 2,
        "lateCancelled": 1,
        "didNotAttend": 2,
        "online": 2,
        "dnaRate": round(2 / 6, 4),
    }


async def test_filters_narrow_to_a_practitioner(client: httpx.AsyncClient) -> None:
    g = await _spring_diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    variables = {
        "p": str(g.a.practice.id),
        "period": SPRING,
        "f": {"practitionerIds": [str(g.b.dentist.id)]},  # another practice's: matches nothing
    }
    result = await gql(client, REPORT, variables, token=token)
    assert result.errors == [], result.errors
    assert result.data["attendanceReport"]["combined"]["total"]["appointments"] == 0
    variables["f"] = {"practitionerIds": [str(g.a.dentist.id)]}
    result = await gql(client, REPORT, variables, token=token)
    assert result.data["attendanceReport"]["combined"]["total"]["appointments"] == 7


@pytest.mark.parametrize(
    ("period", "field"),
    [
        ({"from": "2024-01-01", "to": "2026-01-02", "grouping": "DAY"}, "period.to"),
        ({"from": "2026-04-02", "to": "2026-04-01", "grouping": "DAY"}, "period.to"),
    ],
)
async def test_bad_periods_are_refused(
    client: httpx.AsyncClient, period: dict[str, str], field: str
) -> None:
    g = await group()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": period}, token=token)
    assert result.codes == ["BAD_USER_INPUT"]
    assert result.errors[0]["extensions"]["field"] == field
    assert result.data["attendanceReport"] is None


async def test_unknown_grouping_is_refused_by_the_schema(client: httpx.AsyncClient) -> None:
    g = await group()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    period = {"from": "2026-01-01", "to": "2026-01-31", "grouping": "FORTNIGHT"}
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": period}, token=token)
    assert result.codes == ["BAD_USER_INPUT"]


async def test_who_may_ask(client: httpx.AsyncClient) -> None:
    g = await group()
    admin = await token_for(Role.PRACTICE_ADMIN, g.a)
    both = {"p": str(g.a.practice.id), "o": str(g.organization.id), "period": SPRING}
    assert (await gql(client, REPORT, both, token=admin)).codes == ["BAD_USER_INPUT"]
    # A practice-level role asking for its organisation's roll-up.
    rollup = {"o": str(g.organization.id), "period": SPRING}
    assert (await gql(client, REPORT, rollup, token=admin)).codes == ["FORBIDDEN"]
    # Another organisation's practice answers exactly like a random id.
    foreign = await gql(
        client, REPORT, {"p": str(g.other.practice.id), "period": SPRING}, token=admin
    )
    random = await gql(
        client, REPORT, {"p": "6f1c7a38-0000-4000-8000-000000000001", "period": SPRING}, token=admin
    )
    assert foreign.codes == random.codes == ["NOT_FOUND"]
    assert foreign.errors[0]["message"] == random.errors[0]["message"]
    other_org = await gql(
        client,
        REPORT,
        {"o": str(g.other.practice.organization_id), "period": SPRING},
        token=await token_for(Role.ORG_ADMIN, org=g.organization),
    )
    assert other_org.codes == ["NOT_FOUND"]
    # Reception and clinicians hold no reports:read.
    for role in (Role.RECEPTIONIST, Role.DENTIST):
        token = await token_for(role, g.a)
        refused = await gql(
            client, REPORT, {"p": str(g.a.practice.id), "period": SPRING}, token=token
        )
        assert refused.codes == ["FORBIDDEN"], role
        assert refused.data["attendanceReport"] is None


async def test_each_read_is_one_audit_row_naming_report_and_arguments(
    client: httpx.AsyncClient,
) -> None:
    g = await _spring_diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    variables = {
        "p": str(g.a.practice.id),
        "period": SPRING,
        "f": {"roomIds": [str(g.a.room.id)]},
    }
    result = await gql(client, REPORT, variables, token=token)
    assert result.errors == [], result.errors
    rows = await AuditEvent.filter(entity_type="Report:attendance")
    assert len(rows) == 1
    row = rows[0]
    assert row.entity_id == "attendance"
    assert str(row.practice_id) == str(g.a.practice.id)
    for detail in (
        "from=2026-03-23",
        "to=2026-04-05",
        "grouping=WEEK",
        f"roomIds={g.a.room.id}",
        f"practiceId={g.a.practice.id}",
    ):
        assert detail in row.fields_read
