"""Partner apps and billing (issue 16): billing:read only by registration, and only for patients
who share data with the app.

A partner app granted billing:read reads a sharing patient's account, statement, invoices (issued
ones: drafts stay the practice's), invoice PDFs, NHS courses and memberships; a patient who gave
no consent, or whose restriction is in force, answers exactly like a random id, and a withdrawal
counts from the very next read. Without billing:read the fields are FORBIDDEN. The day sheet and
cash counts are refused to partner apps; aged debt counts the sharing patients only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import uuid4

import httpx
import pytest

from db.models import AuditEvent, Patient, Practice
from services.auth import clients
from services.errors import ValidationFailed
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql
from tests.graph.billing_support import ACCOUNT, issued_invoice
from tests.graph.test_billing_reports import AGED, LIST, SHEET
from tests.graph.test_partner_oauth import token_for
from tests.graph.visibility_world import partner_token, restrict, share_data

INVOICES = """
query L($p: ID!) { patientInvoices(patientId: $p) { edges { node { id number status
  total { amount } } } } }"""
ONE = "query O($id: ID!) { invoice(id: $id) { id number patientId } }"
COURSES = "query N($p: ID!) { nhsCourses(patientId: $p) { id status } }"
MEMBERSHIPS = "query M($p: ID!) { patient(id: $p) { lastName memberships { id } } }"
SCOPED_ACCOUNT = "query A($p: ID!) { patient(id: $p) { lastName account { balance { amount } } } }"
NAMES = ("sharing", "silent", "restricted")


@dataclass
class Clinic:
    """One practice, three patients with an issued invoice each (the sharing one also a draft),
    and a partner app the sharing and the restricted patient share data with."""

    practice: Practice
    patients: dict[str, Patient]
    issued: dict[str, str]
    draft: str
    admin: str
    desk: str
    partner: Any
    bearer: str


def _staff(client: httpx.AsyncClient) -> Callable[[str, dict[str, Any], str], Awaitable[Any]]:
    """The ``gql(query, variables, token)`` the shared world helpers call."""

    async def run(query: str, values: dict[str, Any], token: str) -> Any:
        return (await gql(client, query, values, token=token)).body

    return run


async def _clinic(client: httpx.AsyncClient) -> Clinic:
    practice = await factories.practice()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))
    patients = {
        name: await factories.patient(practice, last_name=f"Bill{name}{uuid4().hex[:6]}")
        for name in NAMES
    }
    issued = {
        name: str((await issued_invoice(practice, patient, 10000 + n)).id)
        for n, (name, patient) in enumerate(patients.items())
    }
    draft = await issued_invoice(practice, patients["sharing"], 500, status="DRAFT")
    partner, bearer = await partner_token(client, practice.id, practice.organization_id)
    for name in ("sharing", "restricted"):
        await share_data(_staff(client), admin, patients[name].id, partner.client_id)
    await restrict(_staff(client), admin, patients["restricted"].id)
    return Clinic(
        practice=practice,
        patients=patients,
        issued=issued,
        draft=str(draft.id),
        admin=admin,
        desk=factories.access_token(await factories.user(Role.RECEPTIONIST, practice)),
        partner=partner,
        bearer=bearer,
    )


def _shape(result: GraphQLResult) -> tuple[object, list[tuple[object, ...]]]:
    errors = [
        (e.get("extensions", {}).get("code"), e.get("message"), tuple(e.get("path") or ()))
        for e in result.errors
    ]
    return result.data, sorted(errors, key=str)


async def _pdf(client: httpx.AsyncClient, invoice_id: object, bearer: str) -> httpx.Response:
    return await client.get(
        f"/invoices/{invoice_id}.pdf", headers={"authorization": f"Bearer {bearer}"}
    )


async def _hidden_like_random(
    client: httpx.AsyncClient, bearer: str, patient_id: str, invoice_id: str
) -> list[str]:
    """Every billing read of a patient (and one of their invoices) compared with a random id."""
    differences = []
    for query in (ACCOUNT, INVOICES, COURSES, MEMBERSHIPS):
        hidden = await gql(client, query, {"p": patient_id}, token=bearer)
        random = await gql(client, query, {"p": str(uuid4())}, token=bearer)
        if _shape(hidden) != _shape(random) or "NOT_FOUND" not in hidden.codes:
            differences.append(f"{query.split()[1]}: {hidden.body} != {random.body}")
    hidden = await gql(client, ONE, {"id": invoice_id}, token=bearer)
    random = await gql(client, ONE, {"id": str(uuid4())}, token=bearer)
    if _shape(hidden) != _shape(random) or hidden.codes != ["NOT_FOUND"]:
        differences.append(f"invoice: {hidden.body} != {random.body}")
    opened, unknown = await _pdf(client, invoice_id, bearer), await _pdf(client, uuid4(), bearer)
    if (opened.status_code, opened.json()) != (404, unknown.json()) or unknown.status_code != 404:
        differences.append(f"pdf: {opened.status_code} {opened.text} != {unknown.text}")
    return differences


async def test_a_partner_with_billing_read_reads_a_sharing_patients_billing_only(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic(client)
    sharing = str(clinic.patients["sharing"].id)
    account = await gql(client, ACCOUNT, {"p": sharing}, token=clinic.bearer)
    assert account.errors == [], account.errors
    read = account.data["patient"]["account"]
    assert (read["patientId"], read["balance"]["amount"]) == (sharing, 10000)
    assert [line["kind"] for line in read["statement"]["lines"]] == ["INVOICE"]
    listed = await gql(client, INVOICES, {"p": sharing}, token=clinic.bearer)
    assert listed.errors == []
    shown = [e["node"]["id"] for e in listed.data["patientInvoices"]["edges"]]
    assert shown == [clinic.issued["sharing"]]  # the draft is the practice's, not shown
    one = await gql(client, ONE, {"id": clinic.issued["sharing"]}, token=clinic.bearer)
    assert one.data["invoice"]["patientId"] == sharing
    draft = await gql(client, ONE, {"id": clinic.draft}, token=clinic.bearer)
    random = await gql(client, ONE, {"id": str(uuid4())}, token=clinic.bearer)
    assert draft.codes == ["NOT_FOUND"]
    assert _shape(draft) == _shape(random)
    opened = await _pdf(client, clinic.issued["sharing"], clinic.bearer)
    assert opened.status_code == 200
    assert opened.content.startswith(b"%PDF-")
    courses = await gql(client, COURSES, {"p": sharing}, token=clinic.bearer)
    assert (courses.errors, courses.data) == ([], {"nhsCourses": []})
    members = await gql(client, MEMBERSHIPS, {"p": sharing}, token=clinic.bearer)
    assert members.errors == []
    assert members.data["patient"]["memberships"] == []
    # Each read is audited under the partner app, so the patient's access log names it.
    reads = await AuditEvent.filter(client_id=clinic.partner.client_id, patient_id=sharing)
    assert {"PatientAccount", "Invoice"} <= {r.entity_type for r in reads}
    assert any(r.action == "OPEN invoice_pdf" for r in reads)

    for name in ("silent", "restricted"):
        patient_id, invoice_id = str(clinic.patients[name].id), clinic.issued[name]
        assert await _hidden_like_random(client, clinic.bearer, patient_id, invoice_id) == []
    # The control: staff read all three.
    for name, patient in clinic.patients.items():
        staff = await gql(client, ACCOUNT, {"p": str(patient.id)}, token=clinic.desk)
        assert staff.errors == [], (name, staff.errors)


async def test_a_partner_without_billing_read_is_forbidden_the_billing_fields(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic(client)
    practice = clinic.practice
    narrow, bearer = await partner_token(
        client, practice.id, practice.organization_id, ("patient:read",)
    )
    await share_data(_staff(client), clinic.admin, clinic.patients["sharing"].id, narrow.client_id)
    sharing = str(clinic.patients["sharing"].id)
    seen = await gql(client, SCOPED_ACCOUNT, {"p": sharing}, token=bearer)
    assert seen.data["patient"]["lastName"] == clinic.patients["sharing"].last_name
    assert seen.data["patient"]["account"] is None
    assert [(e["extensions"]["code"], e["path"]) for e in seen.errors] == [
        ("FORBIDDEN", ["patient", "account"])
    ]
    for query, values in [
        (INVOICES, {"p": sharing}),
        (COURSES, {"p": sharing}),
        (ONE, {"id": clinic.issued["sharing"]}),
    ]:
        refused = await gql(client, query, values, token=bearer)
        assert refused.codes == ["FORBIDDEN"], (query, refused.body)
    assert (await _pdf(client, clinic.issued["sharing"], bearer)).status_code == 403
    # Refused by the declaration, before any patient is looked up: a patient who shares
    # nothing with this app answers exactly like a random id.
    silent = await gql(client, INVOICES, {"p": str(clinic.patients["silent"].id)}, token=bearer)
    random = await gql(client, INVOICES, {"p": str(uuid4())}, token=bearer)
    assert silent.codes == ["FORBIDDEN"]
    assert _shape(silent) == _shape(random)
    # The registration is the ceiling: a token never carries billing:read it was not granted,
    # and billing:write is never grantable to a partner app.
    asked = await token_for(client, narrow.client_id, narrow.client_secret, "billing:read")
    assert (asked.status_code, asked.json()["error"]) == (400, "invalid_scope")
    registered = await clients.register(
        organization_id=practice.organization_id,  # type: ignore[arg-type]
        name="Billing reader",
        scopes=["patient:read", "billing:read"],
        practice_ids=[practice.id],  # type: ignore[list-item]
    )
    granted = await token_for(
        client, registered.client_id, registered.client_secret, "patient:read billing:read"
    )
    assert granted.json()["scope"] == "billing:read patient:read"
    with pytest.raises(ValidationFailed):
        await clients.register(
            organization_id=practice.organization_id,  # type: ignore[arg-type]
            name="Writer",
            scopes=["billing:read", "billing:write"],
            practice_ids=[practice.id],  # type: ignore[list-item]
        )


async def test_a_withdrawal_counts_from_the_next_read(client: httpx.AsyncClient) -> None:
    clinic = await _clinic(client)
    sharing = clinic.patients["sharing"]
    assert (await gql(client, ACCOUNT, {"p": str(sharing.id)}, token=clinic.bearer)).errors == []
    assert (await _pdf(client, clinic.issued["sharing"], clinic.bearer)).status_code == 200
    partner_id = clinic.partner.client_id
    await share_data(_staff(client), clinic.admin, sharing.id, partner_id, granted=False)
    gone = await _hidden_like_random(
        client, clinic.bearer, str(sharing.id), clinic.issued["sharing"]
    )
    assert gone == []
    await share_data(_staff(client), clinic.admin, sharing.id, partner_id)  # granted again
    assert (await gql(client, ACCOUNT, {"p": str(sharing.id)}, token=clinic.bearer)).errors == []


async def test_partner_apps_get_no_day_sheet_or_cash_counts_and_aged_debt_of_sharers_only(
    client: httpx.AsyncClient,
) -> None:
    clinic = await _clinic(client)
    practice = {"p": str(clinic.practice.id)}
    aged = await gql(client, AGED, practice, token=clinic.bearer)
    assert aged.errors == []
    [buckets] = aged.data["agedDebt"]["buckets"]
    assert (buckets["openInvoices"], buckets["total"]["amount"]) == (1, 10000)  # the sharer's
    staff = await gql(client, AGED, practice, token=clinic.desk)
    [everyone] = staff.data["agedDebt"]["buckets"]
    assert (everyone["openInvoices"], everyone["total"]["amount"]) == (3, 30003)

    for query, name in [(SHEET, "daySheet"), (LIST, "cashReconciliations")]:
        refused = await gql(client, query, practice, token=clinic.bearer)
        assert refused.data == {name: None}
        assert refused.codes == ["FORBIDDEN"], refused.body
        # Another practice, or a random one, answers NOT_FOUND exactly alike.
        elsewhere = await factories.practice()
        foreign = await gql(client, query, {"p": str(elsewhere.id)}, token=clinic.bearer)
        random = await gql(client, query, {"p": str(uuid4())}, token=clinic.bearer)
        assert foreign.codes == ["NOT_FOUND"]
        assert _shape(foreign) == _shape(random)
        assert (await gql(client, query, practice, token=clinic.desk)).errors == []
    denied = await AuditEvent.filter(client_id=clinic.partner.client_id, outcome="DENIED")
    assert {"READ day_sheet", "READ cash_reconciliations"} <= {d.action for d in denied}

    # Nobody shares: aged debt is empty rather than the practice's.
    _, lonely = await partner_token(
        client, clinic.practice.id, clinic.practice.organization_id, ("billing:read",)
    )
    nothing = await gql(client, AGED, practice, token=lonely)
    assert (nothing.errors, nothing.data["agedDebt"]["buckets"]) == ([], [])
