"""Membership (capitation) plans through GraphQL: plans with what they cover and their
discount, enrolment without overlaps, ``Patient.memberships`` audited, and ``covered`` /
``discount_for`` as the invoices helper will ask them."""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import uuid4

import httpx

from db.models import (
    AuditEvent,
    DomainEvent,
    Invoice,
    InvoiceLine,
    MembershipPlan,
    Patient,
    PatientMembership,
    Practice,
)
from db.tenancy import PracticeId
from services.billing import memberships
from services.clinical import catalogue
from services.policy import Role
from tests import factories
from tests.factories import GraphQLResult, gql

PLAN = """id name active discountBasisPoints monthlyFee { amount formatted }
  covers { procedureCode perYear }"""
CREATE = f"""mutation C($input: CreateMembershipPlanInput!) {{
  createMembershipPlan(input: $input) {{ plan {{ {PLAN} }} }} }}"""
UPDATE = f"""mutation U($input: UpdateMembershipPlanInput!) {{
  updateMembershipPlan(input: $input) {{ plan {{ {PLAN} }} }} }}"""
MEMBERSHIP = "id patientId status startedOn endedOn plan { id name }"
ENROL = f"""mutation E($input: EnrolMembershipInput!) {{
  enrolMembership(input: $input) {{ membership {{ {MEMBERSHIP} }} }} }}"""
END = f"""mutation X($input: EndMembershipInput!) {{
  endMembership(input: $input) {{ membership {{ {MEMBERSHIP} }} }} }}"""
PLANS = f"query P($p: ID!) {{ membershipPlans(practiceId: $p) {{ {PLAN} }} }}"
MINE = f"query M($id: ID!) {{ patient(id: $id) {{ memberships {{ {MEMBERSHIP} }} }} }}"


async def _world() -> tuple[Practice, Patient, str, str]:
    practice = await factories.practice()
    await catalogue.seed_practice(practice.id)
    patient = await factories.patient(practice)
    receptionist = await factories.user(Role.RECEPTIONIST, practice)
    dentist = await factories.user(Role.DENTIST, practice)
    return practice, patient, factories.access_token(receptionist), factories.access_token(dentist)


async def _do(client: httpx.AsyncClient, doc: str, token: str, **values: Any) -> GraphQLResult:
    return await gql(client, doc, {"input": values}, token=token)


async def _ok(
    client: httpx.AsyncClient, doc: str, token: str, key: str, **values: Any
) -> dict[str, Any]:
    result = await _do(client, doc, token, **values)
    assert result.errors == [], result.errors
    found: dict[str, Any] = next(iter(result.data.values()))[key]
    return found


def _field(result: GraphQLResult) -> str | None:
    return result.errors[0].get("extensions", {}).get("field")


async def _plan(client: httpx.AsyncClient, practice: Practice, token: str) -> dict[str, Any]:
    return await _ok(
        client,
        CREATE,
        token,
        "plan",
        practiceId=str(practice.id),
        name="Essential care",
        monthlyFee={"amount": 1650},
        covers=[
            {"procedureCode": "exam", "perYear": 2},
            {"procedureCode": "HYG", "perYear": 2},
        ],
        discountBasisPoints=1000,
    )


async def test_plans_memberships_and_what_they_cover(client: httpx.AsyncClient) -> None:
    practice, patient, token, dentist = await _world()
    plan = await _plan(client, practice, token)
    assert plan["monthlyFee"] == {"amount": 1650, "formatted": "£16.50"}
    assert plan["covers"] == [
        {"procedureCode": "EXAM", "perYear": 2},
        {"procedureCode": "HYG", "perYear": 2},
    ]
    listed = await gql(client, PLANS, {"p": str(practice.id)}, token=dentist)
    assert [p["name"] for p in listed.data["membershipPlans"]] == ["Essential care"]

    member = await _ok(
        client,
        ENROL,
        token,
        "membership",
        patientId=str(patient.id),
        planId=plan["id"],
        startedOn="2026-01-15",
    )
    assert (member["status"], member["plan"]["name"]) == ("ACTIVE", "Essential care")
    overlap = await _do(
        client, ENROL, token, patientId=str(patient.id), planId=plan["id"], startedOn="2026-03-01"
    )
    assert (overlap.codes, _field(overlap)) == (["CONFLICT"], "startedOn")

    shown = await gql(client, MINE, {"id": str(patient.id)}, token=dentist)
    assert [m["id"] for m in shown.data["patient"]["memberships"]] == [member["id"]]
    reads = await AuditEvent.filter(entity_type="PatientMembership", action__startswith="READ")
    assert {str(r.entity_id) for r in reads} == {member["id"]}

    pid, who = PracticeId(practice.id), patient.id
    assert await memberships.covered(pid, who, "EXAM", date(2026, 2, 1))
    assert not await memberships.covered(pid, who, "SP", date(2026, 2, 1))
    assert not await memberships.covered(pid, who, "EXAM", date(2026, 1, 14))  # before it began
    assert await memberships.discount_for(pid, who, date(2026, 2, 1)) == 1000
    assert await memberships.discount_for(pid, who, date(2025, 2, 1)) == 0

    # Two covered examinations billed at nothing this membership year use the allowance up.
    invoice = await Invoice.create(id=uuid4(), practice_id=practice.id, patient_id=patient.id)
    for _ in range(2):
        await InvoiceLine.create(
            id=uuid4(),
            practice_id=practice.id,
            invoice_id=invoice.id,
            source="PLAN_ITEM",
            code="EXAM",
            description="Examination",
            unit_minor=0,
            net_minor=0,
            vat_category="EXEMPT",
            total_minor=0,
        )
    today = date.today()
    assert not await memberships.covered(pid, who, "EXAM", today)
    assert await memberships.covered(pid, who, "HYG", today)
    invoice.status = "VOID"
    await invoice.save()
    assert await memberships.covered(pid, who, "EXAM", today)

    ended = await _ok(
        client, END, token, "membership", membershipId=member["id"], endedOn="2026-12-31"
    )
    assert (ended["status"], ended["endedOn"]) == ("ENDED", "2026-12-31")
    assert (await _do(client, END, token, membershipId=member["id"])).codes == ["CONFLICT"]
    assert await memberships.discount_for(pid, who, date(2027, 1, 1)) == 0
    assert await memberships.discount_for(pid, who, date(2026, 12, 31)) == 1000
    events = await DomainEvent.filter(topic="billing").values_list("type", flat=True)
    assert sorted(events) == [
        "MEMBERSHIP_CHANGED",
        "MEMBERSHIP_CHANGED",
        "MEMBERSHIP_PLAN_CHANGED",
    ]


async def test_plan_changes_and_refusals(client: httpx.AsyncClient) -> None:
    practice, patient, token, dentist = await _world()
    plan = await _plan(client, practice, token)
    changed = await _ok(
        client,
        UPDATE,
        token,
        "plan",
        planId=plan["id"],
        monthlyFee={"amount": 1800},
        covers=[{"procedureCode": "SP", "perYear": 1}],
        active=False,
    )
    assert (changed["monthlyFee"]["amount"], changed["active"]) == (1800, False)
    assert changed["covers"] == [{"procedureCode": "SP", "perYear": 1}]
    closed = await _do(client, ENROL, token, patientId=str(patient.id), planId=plan["id"])
    assert (closed.codes, _field(closed)) == (["CONFLICT"], "planId")
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"monthlyFee": {"amount": -5}}, "BAD_USER_INPUT", "monthlyFee"),
        ({"monthlyFee": {"amount": 100, "currency": "XYZ"}}, "BAD_USER_INPUT", "currency"),
        ({"covers": [{"procedureCode": "NOPE", "perYear": 1}]}, "BAD_USER_INPUT", "covers"),
        ({"covers": [{"procedureCode": "SP", "perYear": 0}]}, "BAD_USER_INPUT", "covers"),
        ({"discountBasisPoints": 10001}, "BAD_USER_INPUT", "discountBasisPoints"),
        ({"name": "Essential care"}, "CONFLICT", "name"),
    ]
    for values, code, field in cases:
        base = {
            "practiceId": str(practice.id),
            "name": "Other",
            "monthlyFee": {"amount": 100},
        }
        result = await _do(client, CREATE, token, **(base | values))
        assert (result.codes, _field(result)) == ([code], field), values
    denied = await _do(
        client, CREATE, dentist, practiceId=str(practice.id), name="X", monthlyFee={"amount": 1}
    )
    assert denied.codes == ["FORBIDDEN"]
    assert await MembershipPlan.filter(practice_id=practice.id).count() == 1
    other = await factories.patient(await factories.practice())
    foreign = await _do(client, ENROL, token, patientId=str(other.id), planId=plan["id"])
    assert foreign.codes == ["NOT_FOUND"]
    missing = await _do(client, END, token, membershipId=str(uuid4()))
    assert missing.codes == ["NOT_FOUND"]
    assert await PatientMembership.all().count() == 0
