"""The recalls report against a hand-counted list of recall cycles: due dates met early and
late, a live booking, a cancelled one, a missed one, a patient lapsed for months, per kind and
per practitioner, the organisation roll-up, the one audit row, the SQL statements it costs, and
the write path that keeps the due dates visits meet."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import httpx
import pytest

from db.models import Appointment, AppointmentType, AuditEvent, Recall, RecallMet
from db.uow import unit_of_work
from services.policy import Role, Scope
from services.reports import recalls as recall_report
from services.scheduling import recalls
from services.scheduling.diary_access import diary as open_diary
from tests import factories
from tests.factories import gql
from tests.reports.report_support import Group, appointment, group, local, token_for
from tests.scheduling_fixtures import Diary, practitioner
from tests.sql_counter import count_statements

REPORT = """
query R($p: ID, $o: ID, $period: ReportPeriodInput!) {
  recallReport(practiceId: $p, organizationId: $o, period: $period) {
    scope { name organizationId firstDay lastDay grouping }
    practices { practice { id }
      buckets { firstDay lastDay due met booked converted conversionRate overdue
        byKind { kind due met booked converted overdue }
        byPractitioner { practitionerId name due met booked overdue } }
      total { due met booked converted conversionRate overdue
        byKind { kind due overdue } } }
    combined { practice { id } buckets { firstDay due overdue }
      total { due met booked overdue } } } }"""

Q1 = {"from": "2026-01-01", "to": "2026-03-31", "grouping": "MONTH"}
NOW = datetime(2026, 3, 15, 12, tzinfo=UTC)  # judged "now": March is not over


def utc(year: int, month: int, day: int, hour: int = 10) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


async def _booking(
    where: Diary, patient: Any, kind: AppointmentType, at: datetime, status: str, **values: Any
) -> Appointment:
    """An appointment booked at ``created`` (the ORM stamps creation: set it afterwards)."""
    created = values.pop("created")
    row = await appointment(
        where, at, status, patient_id=patient.id, appointment_type_id=kind.id, **values
    )
    await Appointment.filter(id=row.id).update(created_at=created)
    return row


async def _met(where: Diary, patient: Any, kind: str, due: date, visit: Appointment) -> None:
    await RecallMet.create(
        practice_id=where.practice.id,
        patient_id=patient.id,
        kind=kind,
        due_on=due,
        met_at=visit.starts_at,
        appointment_id=visit.id,
    )


async def _waiting(where: Diary, patient: Any, kind: str, due: date) -> None:
    await Recall.create(
        practice_id=where.practice.id,
        patient_id=patient.id,
        kind=kind,
        interval_months=6,
        due_on=due,
    )


async def _recall_book(monkeypatch: pytest.MonkeyPatch) -> tuple[Group, dict[str, Any]]:
    """Practice a: nine patients' cycles (answers in the tests); b: one lapsed; the other
    organisation: one that must never be counted."""
    monkeypatch.setattr(recall_report, "clock", lambda: NOW)
    g = await group()
    a = g.a
    exam = a.exam
    hygiene = await AppointmentType.create(
        practice_id=a.practice.id, name="Hygiene", duration_minutes=30, recall_kind="HYGIENE"
    )
    hygienist = await practitioner(a.practice, a.room2, Role.HYGIENIST)
    second = await practitioner(a.practice, a.room2)
    p = [await factories.patient(a.practice) for _ in range(9)]
    # 1: exam due 10 Jan, met early on 8 Jan by the dentist.
    v1 = await _booking(a, p[1], exam, utc(2026, 1, 8), "COMPLETED", created=utc(2025, 12, 1))
    await _met(a, p[1], "EXAM", date(2026, 1, 10), v1)
    # 2: exam due 20 Jan, met late on 10 Feb (booked on 5 Feb): overdue at the end of January.
    v2 = await _booking(a, p[2], exam, utc(2026, 2, 10), "COMPLETED", created=utc(2026, 2, 5))
    await _met(a, p[2], "EXAM", date(2026, 1, 20), v2)
    # 3: hygiene due 5 Feb, booked on 25 Jan for 20 March with the hygienist: never overdue.
    await _waiting(a, p[3], "HYGIENE", date(2026, 2, 5))
    await _booking(
        a, p[3], hygiene, utc(2026, 3, 20), "BOOKED", created=utc(2026, 1, 25),
        practitioner_id=hygienist.id,
    )  # fmt: skip
    # 4: exam due 14 Feb; booked on 1 Feb for 5 March but cancelled on 20 Feb; last seen for
    # an exam by the second dentist in August 2025.
    await _waiting(a, p[4], "EXAM", date(2026, 2, 14))
    await _booking(
        a, p[4], exam, utc(2026, 3, 5), "CANCELLED", created=utc(2026, 2, 1),
        cancelled_at=utc(2026, 2, 20),
    )  # fmt: skip
    await _booking(
        a, p[4], exam, utc(2025, 8, 14), "COMPLETED", created=utc(2025, 8, 1),
        practitioner_id=second.id,
    )  # fmt: skip
    # 5: hygiene due 1 November 2025, nothing since: overdue at every bucket's end.
    await _waiting(a, p[5], "HYGIENE", date(2025, 11, 1))
    # 6: exam due 20 March (after "now"); last exam with the dentist in September 2025.
    await _waiting(a, p[6], "EXAM", date(2026, 3, 20))
    await _booking(a, p[6], exam, utc(2025, 9, 20), "COMPLETED", created=utc(2025, 9, 1))
    # 7: exam due 15 Dec 2025, met on 5 Jan: late during January, not at its end.
    v7 = await _booking(a, p[7], exam, utc(2026, 1, 5), "COMPLETED", created=utc(2025, 12, 20))
    await _met(a, p[7], "EXAM", date(2025, 12, 15), v7)
    # 8: hygiene due 25 Jan; booked on 10 Feb for 20 Feb and missed (DNA).
    await _waiting(a, p[8], "HYGIENE", date(2026, 1, 25))
    await _booking(
        a, p[8], hygiene, utc(2026, 2, 20), "DID_NOT_ATTEND", created=utc(2026, 2, 10),
        practitioner_id=hygienist.id,
    )  # fmt: skip
    # Practice b: one exam due 15 Jan, lapsed. The other organisation: the same, never counted.
    await _waiting(g.b, g.b.patient, "EXAM", date(2026, 1, 15))
    await _waiting(g.other, g.other.patient, "EXAM", date(2026, 1, 15))
    people = {
        "dentist": str(a.dentist.id),
        "second": str(second.id),
        "hygienist": str(hygienist.id),
    }
    return g, people


def _by_practitioner(bucket: dict[str, Any]) -> dict[str | None, tuple[int, int, int, int]]:
    return {
        r["practitionerId"]: (r["due"], r["met"], r["booked"], r["overdue"])
        for r in bucket["byPractitioner"]
    }


def _by_kind(bucket: dict[str, Any]) -> dict[str, tuple[int, int, int, int]]:
    return {r["kind"]: (r["due"], r["met"], r["booked"], r["overdue"]) for r in bucket["byKind"]}


async def test_due_met_booked_and_overdue_by_month_kind_and_practitioner(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, who = await _recall_book(monkeypatch)
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": Q1}, token=token)
    assert result.errors == [], result.errors
    (series,) = result.data["recallReport"]["practices"]
    jan, feb, mar = series["buckets"]
    # January: due 1 (met), 2 (met), 8; overdue at its end: 2 (met only in February), 5, 8.
    assert {k: jan[k] for k in ("due", "met", "booked", "converted", "overdue")} == {
        "due": 3,
        "met": 2,
        "booked": 0,
        "converted": 2,
        "overdue": 3,
    }
    assert jan["conversionRate"] == 0.6667
    assert _by_kind(jan) == {"EXAM": (2, 2, 0, 1), "HYGIENE": (1, 0, 0, 2)}
    assert _by_practitioner(jan) == {who["dentist"]: (2, 2, 0, 1), None: (1, 0, 0, 2)}
    # February: due 3 (booked) and 4 (its booking cancelled); overdue at its end: 4, 5, 8
    # (3 was booked then; 8's missed visit was before the end).
    assert (feb["due"], feb["met"], feb["booked"], feb["overdue"]) == (2, 0, 1, 3)
    assert feb["conversionRate"] == 0.5
    assert _by_kind(feb) == {"EXAM": (1, 0, 0, 1), "HYGIENE": (1, 0, 1, 2)}
    assert _by_practitioner(feb) == {
        who["hygienist"]: (1, 0, 1, 0),
        who["second"]: (1, 0, 0, 1),
        None: (0, 0, 0, 2),
    }
    # March (judged on the 15th): due 6 (on the 20th, not late yet); overdue now: 4, 5, 8.
    assert (mar["due"], mar["met"], mar["booked"], mar["overdue"]) == (1, 0, 0, 3)
    assert mar["conversionRate"] == 0.0
    assert _by_practitioner(mar) == {
        who["dentist"]: (1, 0, 0, 0),
        who["second"]: (0, 0, 0, 1),
        None: (0, 0, 0, 2),
    }
    # The quarter: due, met and booked summed; overdue at its end (not once per month).
    total = series["total"]
    assert {k: total[k] for k in ("due", "met", "booked", "converted", "overdue")} == {
        "due": 6,
        "met": 2,
        "booked": 1,
        "converted": 3,
        "overdue": 3,
    }
    assert total["conversionRate"] == 0.5
    assert {r["kind"]: (r["due"], r["overdue"]) for r in total["byKind"]} == {
        "EXAM": (4, 1),
        "HYGIENE": (2, 2),
    }


async def test_roll_up_adds_the_organisations_practices_only(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, _ = await _recall_book(monkeypatch)
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": Q1}, token=token)
    assert result.errors == [], result.errors
    report = result.data["recallReport"]
    assert {s["practice"]["id"] for s in report["practices"]} == {
        str(g.a.practice.id),
        str(g.b.practice.id),
    }
    combined = report["combined"]
    # Practice b's lapsed exam: due in January, overdue at every end.
    assert [(b["due"], b["overdue"]) for b in combined["buckets"]] == [(4, 4), (2, 4), (1, 4)]
    assert combined["total"] == {"due": 7, "met": 2, "booked": 1, "overdue": 4}


async def test_who_may_ask_and_one_audit_row(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, _ = await _recall_book(monkeypatch)
    own = {"p": str(g.a.practice.id), "period": Q1}
    for role in (Role.RECEPTIONIST, Role.DENTIST):
        refused = await gql(client, REPORT, own, token=await token_for(role, g.a))
        assert refused.codes == ["FORBIDDEN"], role
    admin = await token_for(Role.PRACTICE_ADMIN, g.a)
    foreign = await gql(client, REPORT, {"p": str(g.other.practice.id), "period": Q1}, token=admin)
    assert foreign.codes == ["NOT_FOUND"]
    rollup = await gql(client, REPORT, {"o": str(g.organization.id), "period": Q1}, token=admin)
    assert rollup.codes == ["FORBIDDEN"]
    assert (await gql(client, REPORT, own, token=admin)).errors == []
    rows = await AuditEvent.filter(entity_type="Report:recalls")
    assert len(rows) == 1
    assert str(rows[0].practice_id) == str(g.a.practice.id)
    for detail in ("from=2026-01-01", "to=2026-03-31", "grouping=MONTH"):
        assert detail in rows[0].fields_read


async def test_a_roll_up_costs_at_most_three_statements(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, _ = await _recall_book(monkeypatch)
    admin = await factories.user(Role.ORG_ADMIN, org=g.organization)
    principal = await g.a.principal(admin)
    with count_statements(monkeypatch) as statements:
        found = await recall_report.report(
            principal,
            practice_id=None,
            organization_id=g.organization.id,
            first_day=date(2025, 1, 1),
            last_day=date(2026, 12, 31),
            grouping="DAY",
        )
    assert len(statements) <= 3, statements
    # Two years: patients 5 and 7 (due in November and December 2025) fall due inside too.
    assert (found.combined.total.counts.due, found.combined.total.counts.met) == (9, 3)


async def test_a_visit_keeps_the_due_date_it_met_once_a_day(db: str) -> None:
    g = await group()
    a = g.a
    await _waiting(a, a.patient, "EXAM", date(2026, 1, 20))
    visit = await appointment(a, local(2026, 2, 10, 10), "COMPLETED")
    principal = await a.principal()
    diary = await open_diary(principal, a.practice.id, Scope.SCHEDULE_WRITE)
    when = utc(2026, 2, 10, 11)
    async with unit_of_work() as uow:
        await recalls.after_visit(uow, principal, diary, visit, "EXAM", when)
    async with unit_of_work() as uow:  # the exam charted from the plan the same day
        await recalls.after_treatment(uow, principal, diary, a.patient.id, "EXAM", when)
    (met,) = await RecallMet.filter(patient_id=a.patient.id)
    assert (met.kind, met.due_on, met.met_at) == ("EXAM", date(2026, 1, 20), when)
    assert str(met.appointment_id) == str(visit.id)
    waiting = await Recall.get(patient_id=a.patient.id, kind="EXAM")
    assert waiting.due_on == date(2026, 8, 10)
    # A first visit (no recall yet) meets nothing: there was no due date.
    async with unit_of_work() as uow:
        await recalls.after_treatment(uow, principal, diary, a.patient.id, "HYGIENE", when)
    assert await RecallMet.filter(patient_id=a.patient.id, kind="HYGIENE").count() == 0
