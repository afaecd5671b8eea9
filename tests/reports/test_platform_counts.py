"""The system owner's organisation-level counts: sizes and use per organisation, each practice's
days in its own time zone, nothing about any patient; everyone else refused; the system owner
refused every practice report; one audit row; three statements."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from db.models import AuditEvent, Membership, Patient, User
from services.policy import Role
from services.reports import platform
from tests import factories
from tests.factories import gql
from tests.graph.billing_support import issued_invoice
from tests.reports.report_support import Group, appointment, group, local, token_for
from tests.scheduling_fixtures import diary
from tests.sql_counter import count_statements

COUNTS = """
query C($period: ReportPeriodInput!) {
  platformCounts(period: $period) {
    firstDay lastDay grouping
    organizations { organizationId name practices activeStaff patients
      buckets { firstDay lastDay appointments invoicesIssued }
      total { appointments invoicesIssued } } } }"""

WINTER = {"from": "2026-02-01", "to": "2026-03-31", "grouping": "MONTH"}


async def _platform() -> tuple[Group, str]:
    """The group's organisation: practices a and b (a dentist and a receptionist each, one
    patient each), plus an organisation admin, a dentist working in both practices, a patient
    record, a merged duplicate, an inactive, a deleted and a portal account; appointments and
    invoices in February and March. The other organisation gains a New York practice."""
    g = await group()
    a, b = g.a, g.b
    await factories.user(Role.ORG_ADMIN, org=g.organization)
    both = await factories.user(Role.DENTIST, a.practice)
    await Membership.create(user=both, practice=b.practice, role=Role.DENTIST.value)
    await User.filter(id=(await factories.user(Role.RECEPTIONIST, a.practice)).id).update(
        is_active=False
    )
    await User.filter(id=(await factories.user(Role.RECEPTIONIST, b.practice)).id).update(
        deleted_at=datetime(2026, 1, 1, tzinfo=UTC)
    )
    await factories.user(Role.PATIENT, a.practice, patient_id=a.patient.id)
    await factories.patient(b.practice, first_name="Zebedee")
    duplicate = await factories.patient(a.practice)
    await Patient.filter(id=duplicate.id).update(status="MERGED")
    await appointment(a, local(2026, 2, 3, 10), "COMPLETED")
    await appointment(a, local(2026, 3, 3, 10), "CANCELLED")
    await appointment(b, local(2026, 3, 31, 23, 30), "DID_NOT_ATTEND")  # 22:30 UTC: March
    await appointment(b, local(2026, 4, 1, 0, 30), "BOOKED")  # April: out
    await issued_invoice(a.practice, a.patient, 5000, issued_at=datetime(2026, 2, 9, tzinfo=UTC))
    await issued_invoice(a.practice, a.patient, 5000, issued_at=datetime(2026, 3, 9, tzinfo=UTC))
    await issued_invoice(
        a.practice, a.patient, 5000, issued_at=datetime(2026, 3, 10, tzinfo=UTC), kind="CREDIT_NOTE"
    )
    await issued_invoice(a.practice, a.patient, 5000, status="DRAFT")
    # The other organisation: a practice in New York. 02:00 UTC on 1 March is still 28
    # February there.
    ny = await diary(timezone="America/New_York")
    ny.practice.organization_id = g.other.practice.organization_id
    await ny.practice.save()
    await appointment(ny, datetime(2026, 3, 1, 2, tzinfo=UTC), "COMPLETED")
    owner = await factories.user(Role.SYSTEM_OWNER)
    return g, factories.access_token(owner)


async def test_the_system_owner_gets_counts_per_organisation_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    g, owner = await _platform()
    result = await gql(client, COUNTS, {"period": WINTER}, token=owner)
    assert result.errors == [], result.errors
    found = result.data["platformCounts"]
    assert (found["firstDay"], found["lastDay"], found["grouping"]) == (
        "2026-02-01",
        "2026-03-31",
        "MONTH",
    )
    by_id = {o["organizationId"]: o for o in found["organizations"]}
    ours = by_id[str(g.organization.id)]
    assert ours["name"] == g.organization.name
    # Staff: 2 dentists + 2 receptionists from the diaries, the admin, the dentist in both
    # practices once; not the inactive, the deleted or the portal account.
    assert (ours["practices"], ours["activeStaff"], ours["patients"]) == (2, 6, 3)
    assert [(b["firstDay"], b["appointments"], b["invoicesIssued"]) for b in ours["buckets"]] == [
        ("2026-02-01", 1, 1),
        ("2026-03-01", 2, 1),
    ]
    assert ours["total"] == {"appointments": 3, "invoicesIssued": 1 + 1}
    theirs = by_id[str(g.other.practice.organization_id)]
    assert theirs["practices"] == 2
    assert [b["appointments"] for b in theirs["buckets"]] == [1, 0]
    # Nothing about a patient: no id, no name.
    text = result.body.__repr__()
    for patient in (g.a.patient, g.b.patient):
        assert str(patient.id) not in text
        assert patient.last_name not in text
    assert "Zebedee" not in text
    (row,) = await AuditEvent.filter(entity_type="Report:platformCounts")
    assert row.practice_id is None
    assert "grouping=MONTH" in row.fields_read


async def test_everyone_else_is_refused_and_the_owner_reads_no_practice_report(
    client: httpx.AsyncClient,
) -> None:
    g, owner = await _platform()
    for role, where in ((Role.PRACTICE_ADMIN, g.a), (Role.DENTIST, g.a)):
        refused = await gql(client, COUNTS, {"period": WINTER}, token=await token_for(role, where))
        assert refused.codes == ["FORBIDDEN"], role
        assert refused.data["platformCounts"] is None
    org_admin = await token_for(Role.ORG_ADMIN, org=g.organization)
    assert (await gql(client, COUNTS, {"period": WINTER}, token=org_admin)).codes == ["FORBIDDEN"]
    for field in ("attendanceReport", "recallReport", "nhsActivityReport"):
        for where in ({"p": str(g.a.practice.id)}, {"o": str(g.organization.id)}):
            query = (
                "query R($p: ID, $o: ID, $period: ReportPeriodInput!) { "
                f"{field}(practiceId: $p, organizationId: $o, period: $period) "
                "{ scope { name } } }"
            )
            refused = await gql(client, query, {**where, "period": WINTER}, token=owner)
            assert refused.codes == ["FORBIDDEN"], field
            assert refused.data[field] is None


async def test_platform_counts_cost_three_statements(
    db: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    g, _ = await _platform()
    owner = await factories.user(Role.SYSTEM_OWNER)
    principal = await g.a.principal(owner)
    with count_statements(monkeypatch) as statements:
        found = await platform.counts(
            principal, first_day=date(2025, 1, 1), last_day=date(2026, 12, 31), grouping="DAY"
        )
    assert len(statements) <= 3, statements
    ours = next(o for o in found.organisations if o.organization_id == g.organization.id)
    assert ours.total.appointments == 4
