"""The patient-mix report against hand-counted visits: a patient whose first visit was before
the period (returning throughout), one new in the first week and back in the second, one whose
earlier appointments were missed or cancelled (new when first attended), distinct patients
counted once per bucket and once over the period (not the sum of the buckets), filters that
pick the visits but not the history, and the roll-up."""

from __future__ import annotations

import httpx

from db.models import AuditEvent
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.reports.report_support import Group, appointment, group, local, token_for
from tests.scheduling_fixtures import practitioner

REPORT = """
query M($p: ID, $o: ID, $period: ReportPeriodInput!, $f: DiaryReportFilterInput) {
  patientMixReport(practiceId: $p, organizationId: $o, period: $period, filter: $f) {
    scope { name }
    practices { practice { id } buckets { firstDay seen new returning newShare }
      total { seen new returning newShare } }
    combined { buckets { seen new returning } total { seen new returning } } } }"""

WEEKS = {"from": "2026-11-02", "to": "2026-11-15", "grouping": "WEEK"}


async def _diary() -> tuple[Group, str]:
    """Week 1 (2-8 Nov): P1 (first visit 5 Oct: returning), P2 twice (first ever: new, once).
    Week 2 (9-15 Nov): P1 again, P2 with the hygienist (returning), P3 (a DNA on 20 Oct and a
    cancellation on 26 Oct before: new now). P4 only missed. So weeks: 2 seen / 1 new, 3 seen /
    1 new; the period: 3 seen (not 5), 2 new (P2, P3), 1 returning (P1)."""
    g = await group()
    a = g.a
    hygienist = await practitioner(a.practice, a.room, Role.HYGIENIST)
    p1 = a.patient
    p2, p3, p4 = [await factories.patient(a.practice) for _ in range(3)]
    await appointment(a, local(2026, 10, 5, 9), "COMPLETED", patient_id=p1.id)
    await appointment(a, local(2026, 11, 3, 9), "COMPLETED", patient_id=p1.id)
    await appointment(a, local(2026, 11, 10, 9), "COMPLETED", patient_id=p1.id)
    await appointment(a, local(2026, 11, 2, 10), "COMPLETED", patient_id=p2.id)
    await appointment(a, local(2026, 11, 5, 10), "COMPLETED", patient_id=p2.id)
    await appointment(
        a, local(2026, 11, 11, 10), "ARRIVED", patient_id=p2.id, practitioner_id=hygienist.id
    )
    await appointment(a, local(2026, 10, 20, 11), "DID_NOT_ATTEND", patient_id=p3.id)
    await appointment(a, local(2026, 10, 26, 11), "CANCELLED", patient_id=p3.id)
    await appointment(a, local(2026, 11, 13, 11), "IN_SURGERY", patient_id=p3.id)
    await appointment(a, local(2026, 11, 4, 12), "DID_NOT_ATTEND", patient_id=p4.id)
    await appointment(a, local(2026, 11, 6, 12), "BOOKED", patient_id=p4.id)
    await appointment(g.b, local(2026, 11, 3, 9), "COMPLETED")  # b's patient: new
    await appointment(g.other, local(2026, 11, 3, 9), "COMPLETED")  # another organisation
    return g, str(hygienist.id)


async def test_new_and_returning_by_week_and_over_the_period(client: httpx.AsyncClient) -> None:
    g, _ = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    (found,) = result.data["patientMixReport"]["practices"]
    assert found["buckets"] == [
        {"firstDay": "2026-11-02", "seen": 2, "new": 1, "returning": 1, "newShare": 0.5},
        {"firstDay": "2026-11-09", "seen": 3, "new": 1, "returning": 2, "newShare": 0.3333},
    ]
    assert found["total"] == {"seen": 3, "new": 2, "returning": 1, "newShare": 0.6667}
    rows = await AuditEvent.filter(entity_type="Report:patientMix")
    assert len(rows) == 1


async def test_filters_pick_the_visits_not_the_history(client: httpx.AsyncClient) -> None:
    """With the hygienist only: P2 in week 2, returning there (first visit on 2 Nov with the
    dentist), yet new over the period (that first visit is inside it)."""
    g, hygienist = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    variables = {"p": str(g.a.practice.id), "period": WEEKS, "f": {"practitionerIds": [hygienist]}}
    result = await gql(client, REPORT, variables, token=token)
    assert result.errors == [], result.errors
    (found,) = result.data["patientMixReport"]["practices"]
    assert [(b["seen"], b["new"]) for b in found["buckets"]] == [(0, 0), (1, 0)]
    assert (found["total"]["seen"], found["total"]["new"]) == (1, 1)


async def test_the_roll_up_adds_practices(client: httpx.AsyncClient) -> None:
    g, _ = await _diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    report = result.data["patientMixReport"]
    combined = report["combined"]
    assert combined["buckets"] == [
        {"seen": 3, "new": 2, "returning": 1},
        {"seen": 3, "new": 1, "returning": 2},
    ]
    assert combined["total"] == {"seen": 4, "new": 3, "returning": 1}
    totals = [p["total"] for p in report["practices"]]
    assert combined["total"]["seen"] == sum(t["seen"] for t in totals)
