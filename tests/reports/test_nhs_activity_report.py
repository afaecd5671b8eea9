"""The NHS activity report against hand-counted courses: bands 1, 2a/2b/2c, 3 and urgent
completing across months, UDAs against a contract's pro rata target (two contract years, one
changing inside a week), the year-to-date position in and out of the 96-102 % band, practices
outside England and without a contract, the roll-up, access, the audit row and the SQL cost;
and setting the contract year (practice:write, audited, with its event)."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, DomainEvent, NhsContractYear, NhsCourse
from services.policy import Role
from services.reports import nhs
from tests import factories
from tests.factories import gql
from tests.reports.report_support import Group, group, token_for
from tests.scheduling_fixtures import Diary, diary
from tests.sql_counter import count_statements

REPORT = """
query R($p: ID, $o: ID, $period: ReportPeriodInput!) {
  nhsActivityReport(practiceId: $p, organizationId: $o, period: $period) {
    scope { name organizationId firstDay lastDay grouping }
    outsideEngland { id }
    practices { practice { id } contractYears { startsOn endsOn annualUdaTarget }
      buckets { firstDay lastDay courses udasHundredths byBand { band courses udasHundredths }
        targetUdasHundredths yearToDateUdasHundredths yearToDateTargetUdasHundredths
        yearToDatePosition yearToDateStatus }
      total { courses udasHundredths targetUdasHundredths yearToDateUdasHundredths
        yearToDateTargetUdasHundredths yearToDatePosition yearToDateStatus } }
    combined { practice { id } contractYears { startsOn }
      buckets { courses udasHundredths targetUdasHundredths yearToDateUdasHundredths
        yearToDateStatus }
      total { courses udasHundredths } } } }"""

SET = """
mutation S($input: SetNhsContractYearInput!) {
  setNhsContractYear(input: $input) { contractYear { startsOn endsOn annualUdaTarget } } }"""

SPRING = {"from": "2026-02-01", "to": "2026-04-30", "grouping": "MONTH"}
UDAS = {"BAND_1": 100, "BAND_2A": 300, "BAND_2B": 500, "BAND_2C": 700, "BAND_3": 1200}
UDAS["URGENT"] = 120


async def course(where: Diary, band: str | None, completed: date | None, **values: Any) -> None:
    await NhsCourse.create(
        practice_id=where.practice.id,
        patient_id=where.patient.id,
        status=values.pop("status", "COMPLETED"),
        opened_on=values.pop("opened_on", date(2026, 1, 2)),
        completed_on=completed,
        band=band,
        udas_hundredths=None if band is None else UDAS[band],
        **values,
    )


async def _nhs_book() -> tuple[Group, Diary]:
    """Practice a: two contract years (730 UDAs from 1 Feb 2025, 365 from 1 Feb 2026: 2 and 1
    UDAs a day) and the courses below; b: in England, no contract; c: in Scotland (same
    organisation); the other organisation: a course never counted."""
    g = await group()
    c = await diary(jurisdiction="SCOTLAND")
    c.practice.organization_id = g.organization.id
    await c.practice.save()
    a = g.a
    await NhsContractYear.create(
        practice_id=a.practice.id, starts_on=date(2025, 2, 1), annual_uda_target=730
    )
    await NhsContractYear.create(
        practice_id=a.practice.id, starts_on=date(2026, 2, 1), annual_uda_target=365
    )
    await course(a, "BAND_1", date(2026, 1, 31))  # the first contract year
    for band, day in (("BAND_1", 3), ("BAND_2A", 10), ("BAND_3", 27), ("URGENT", 28)):
        await course(a, band, date(2026, 2, day))
    march = (("BAND_2C", 2), ("BAND_1", 5), ("BAND_2A", 6), ("BAND_3", 15), ("BAND_2B", 20))
    for band, day in (*march, ("BAND_3", 31)):
        await course(a, band, date(2026, 3, day))
    for day in (1, 15, 30):
        await course(a, "BAND_3", date(2026, 4, day))
    await course(a, None, None, status="CANCELLED")
    await course(a, None, None, status="OPEN")
    await course(g.b, "BAND_2B", date(2026, 2, 14))
    await course(c, "BAND_3", date(2026, 2, 14))
    await course(g.other, "BAND_3", date(2026, 2, 14))
    return g, c


def _bands(bucket: dict[str, Any]) -> dict[str, int]:
    return {b["band"]: b["courses"] for b in bucket["byBand"] if b["courses"]}


async def test_courses_udas_target_and_tolerance_band_by_month(client: httpx.AsyncClient) -> None:
    g, _ = await _nhs_book()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": SPRING}, token=token)
    assert result.errors == [], result.errors
    report = result.data["nhsActivityReport"]
    assert report["scope"]["name"] == "nhsActivity"
    assert report["outsideEngland"] == []
    (series,) = report["practices"]
    assert series["contractYears"] == [
        {"startsOn": "2026-02-01", "endsOn": "2027-01-31", "annualUdaTarget": 365}
    ]
    feb, mar, apr = series["buckets"]
    # February: 1 + 3 + 12 + 1.2 UDAs; target 28 days of 1 UDA; 17.2 of 28 to date.
    assert _bands(feb) == {"BAND_1": 1, "BAND_2A": 1, "BAND_3": 1, "URGENT": 1}
    assert [b["band"] for b in feb["byBand"]] == list(UDAS)
    assert (feb["courses"], feb["udasHundredths"], feb["targetUdasHundredths"]) == (4, 1720, 2800)
    assert (feb["yearToDateUdasHundredths"], feb["yearToDateTargetUdasHundredths"]) == (1720, 2800)
    assert (feb["yearToDatePosition"], feb["yearToDateStatus"]) == (0.6143, "UNDER_DELIVERY")
    # March: 7 + 1 + 3 + 12 + 5 + 12 = 40 UDAs; 57.2 of 59 to date: inside the band.
    assert _bands(mar) == {"BAND_1": 1, "BAND_2A": 1, "BAND_2B": 1, "BAND_2C": 1, "BAND_3": 2}
    assert (mar["courses"], mar["udasHundredths"], mar["targetUdasHundredths"]) == (6, 4000, 3100)
    assert (mar["yearToDateUdasHundredths"], mar["yearToDateTargetUdasHundredths"]) == (5720, 5900)
    assert (mar["yearToDatePosition"], mar["yearToDateStatus"]) == (0.9695, "WITHIN_TOLERANCE")
    # April: three band 3 courses; 93.2 of 89 to date: above 102 %.
    assert (apr["courses"], apr["udasHundredths"], apr["targetUdasHundredths"]) == (3, 3600, 3000)
    assert (apr["yearToDatePosition"], apr["yearToDateStatus"]) == (1.0472, "OVER_DELIVERY")
    assert series["total"] == {
        "courses": 13,
        "udasHundredths": 9320,
        "targetUdasHundredths": 8900,
        "yearToDateUdasHundredths": 9320,
        "yearToDateTargetUdasHundredths": 8900,
        "yearToDatePosition": 1.0472,
        "yearToDateStatus": "OVER_DELIVERY",
    }


async def test_year_to_date_reaches_before_the_period_and_weeks_split_contract_years(
    client: httpx.AsyncClient,
) -> None:
    g, _ = await _nhs_book()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    march = {"from": "2026-03-01", "to": "2026-03-31", "grouping": "MONTH"}
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": march}, token=token)
    assert result.errors == [], result.errors
    (only,) = result.data["nhsActivityReport"]["practices"][0]["buckets"]
    # February's 17.2 UDAs count to date although the period starts in March.
    assert (only["udasHundredths"], only["yearToDateUdasHundredths"]) == (4000, 5720)
    assert only["yearToDateStatus"] == "WITHIN_TOLERANCE"
    # Monday 26 January - Sunday 1 February: six days at 2 UDAs (first year) and one at 1.
    weeks = {"from": "2026-01-26", "to": "2026-02-08", "grouping": "WEEK"}
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": weeks}, token=token)
    series = result.data["nhsActivityReport"]["practices"][0]
    assert len(series["contractYears"]) == 2
    first, second = series["buckets"]
    assert (first["udasHundredths"], first["targetUdasHundredths"]) == (100, 1300)
    # To date on 1 February: the new year's first day, nothing completed in it yet.
    assert (first["yearToDateUdasHundredths"], first["yearToDateTargetUdasHundredths"]) == (0, 100)
    assert first["yearToDatePosition"] == 0.0
    assert (second["udasHundredths"], second["targetUdasHundredths"]) == (100, 700)
    assert (second["yearToDateUdasHundredths"], second["yearToDatePosition"]) == (100, 0.125)


async def test_roll_up_counts_england_without_contract_and_lists_the_rest(
    client: httpx.AsyncClient,
) -> None:
    g, scottish = await _nhs_book()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": SPRING}, token=token)
    assert result.errors == [], result.errors
    report = result.data["nhsActivityReport"]
    assert report["outsideEngland"] == [{"id": str(scottish.practice.id)}]
    by_id = {s["practice"]["id"]: s for s in report["practices"]}
    assert set(by_id) == {str(g.a.practice.id), str(g.b.practice.id)}
    no_contract = by_id[str(g.b.practice.id)]
    assert no_contract["contractYears"] == []
    feb = no_contract["buckets"][0]
    assert (feb["courses"], feb["udasHundredths"], feb["targetUdasHundredths"]) == (1, 500, None)
    assert (feb["yearToDatePosition"], feb["yearToDateStatus"]) == (None, None)
    combined = report["combined"]
    assert combined["contractYears"] == []
    # Practice b's course adds to the activity, not to the year to date (it has no target).
    assert combined["buckets"][0] == {
        "courses": 5,
        "udasHundredths": 2220,
        "targetUdasHundredths": 2800,
        "yearToDateUdasHundredths": 1720,
        "yearToDateStatus": "UNDER_DELIVERY",
    }
    assert combined["total"] == {"courses": 14, "udasHundredths": 9820}
    # A practice report for the Scottish practice: empty, and saying why.
    admin = await token_for(Role.PRACTICE_ADMIN, scottish)
    alone = await gql(
        client, REPORT, {"p": str(scottish.practice.id), "period": SPRING}, token=admin
    )
    assert alone.errors == [], alone.errors
    assert alone.data["nhsActivityReport"]["practices"] == []
    assert alone.data["nhsActivityReport"]["outsideEngland"] == [{"id": str(scottish.practice.id)}]
    assert alone.data["nhsActivityReport"]["combined"]["total"]["courses"] == 0


async def test_who_may_ask_audit_and_statements(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, _ = await _nhs_book()
    own = {"p": str(g.a.practice.id), "period": SPRING}
    for role in (Role.RECEPTIONIST, Role.DENTIST):
        refused = await gql(client, REPORT, own, token=await token_for(role, g.a))
        assert refused.codes == ["FORBIDDEN"], role
    admin = await token_for(Role.PRACTICE_ADMIN, g.a)
    foreign = await gql(
        client, REPORT, {"p": str(g.other.practice.id), "period": SPRING}, token=admin
    )
    random = await gql(
        client, REPORT, {"p": "6f1c7a38-0000-4000-8000-000000000001", "period": SPRING}, token=admin
    )
    assert foreign.codes == random.codes == ["NOT_FOUND"]
    assert foreign.errors[0]["message"] == random.errors[0]["message"]
    assert (await gql(client, REPORT, own, token=admin)).errors == []
    (row,) = await AuditEvent.filter(entity_type="Report:nhsActivity")
    assert str(row.practice_id) == str(g.a.practice.id)
    assert "grouping=MONTH" in row.fields_read
    org_admin = await factories.user(Role.ORG_ADMIN, org=g.organization)
    principal = await g.a.principal(org_admin)
    with count_statements(monkeypatch) as statements:
        found = await nhs.report(
            principal,
            practice_id=None,
            organization_id=g.organization.id,
            first_day=date(2025, 1, 1),
            last_day=date(2026, 12, 31),
            grouping="DAY",
        )
    assert len(statements) <= 3, statements
    assert found.report.combined.total.total_courses == 15  # every course of a and b


async def test_setting_the_contract_year(client: httpx.AsyncClient) -> None:
    g, scottish = await _nhs_book()
    admin = await token_for(Role.PRACTICE_ADMIN, g.b)
    asked = {"practiceId": str(g.b.practice.id), "startsOn": "2026-04-01", "annualUdaTarget": 5000}
    result = await gql(client, SET, {"input": asked}, token=admin)
    assert result.errors == [], result.errors
    assert result.data["setNhsContractYear"]["contractYear"] == {
        "startsOn": "2026-04-01",
        "endsOn": "2027-03-31",
        "annualUdaTarget": 5000,
    }
    again = await gql(client, SET, {"input": {**asked, "annualUdaTarget": 5200}}, token=admin)
    assert again.errors == [], again.errors
    rows = await NhsContractYear.filter(practice_id=g.b.practice.id)
    assert [(r.starts_on, r.annual_uda_target) for r in rows] == [(date(2026, 4, 1), 5200)]
    audits = await AuditEvent.filter(action="SET nhs_contract_year", practice_id=g.b.practice.id)
    assert len(audits) == 2
    events = await DomainEvent.filter(type="NHS_CONTRACT_CHANGED", practice_id=g.b.practice.id)
    assert [e.topic for e in events] == ["billing", "billing"]
    overlap = await gql(client, SET, {"input": {**asked, "startsOn": "2026-09-01"}}, token=admin)
    assert overlap.codes == ["CONFLICT"]
    assert overlap.errors[0]["extensions"]["field"] == "startsOn"
    zero = await gql(client, SET, {"input": {**asked, "annualUdaTarget": 0}}, token=admin)
    assert zero.codes == ["BAD_USER_INPUT"]
    # Reception takes payments (billing:write) but does not set the practice's target.
    for role in (Role.RECEPTIONIST, Role.DENTIST):
        refused = await gql(client, SET, {"input": asked}, token=await token_for(role, g.b))
        assert refused.codes == ["FORBIDDEN"], role
    foreign = await gql(
        client, SET, {"input": {**asked, "practiceId": str(g.other.practice.id)}}, token=admin
    )
    assert foreign.codes == ["NOT_FOUND"]
    elsewhere = await gql(
        client,
        SET,
        {"input": {**asked, "practiceId": str(scottish.practice.id)}},
        token=await token_for(Role.PRACTICE_ADMIN, scottish),
    )
    assert elsewhere.codes == ["BAD_USER_INPUT"]
    assert elsewhere.errors[0]["extensions"]["field"] == "practiceId"
    assert await NhsContractYear.filter(practice_id=g.b.practice.id).count() == 1
