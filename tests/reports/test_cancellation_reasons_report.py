"""Coded cancellation reasons: reception gives a code, the portal's own cancellations are
PATIENT_REQUEST, older rows without one count as UNCODED; the report counts them per week by
reason, late or not, with every reason listed, and the roll-up adds practices."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from db.models import Appointment, AuditEvent
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.reports.report_support import Group, appointment, group, local, token_for

REPORT = """
query C($p: ID, $o: ID, $period: ReportPeriodInput!) {
  cancellationReasonsReport(practiceId: $p, organizationId: $o, period: $period) {
    scope { name }
    practices { buckets { firstDay cancelled lateCancelled
        reasons { reason cancelled lateCancelled share } }
      total { cancelled lateCancelled reasons { reason cancelled lateCancelled share } } }
    combined { total { cancelled lateCancelled reasons { reason cancelled lateCancelled } } } } }"""
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status cancelReason cancelReasonCode } } }"""
CANCEL_OWN = """
mutation C($input: CancelOwnAppointmentInput!) {
  cancelOwnAppointment(input: $input) { appointment { status cancelReasonCode } } }"""

WEEKS = {"from": "2026-11-02", "to": "2026-11-15", "grouping": "WEEK"}
REASONS = [
    "PATIENT_REQUEST",
    "PATIENT_ILL",
    "RESCHEDULED",
    "COST",
    "PRACTICE_CANCELLED",
    "PRACTITIONER_UNAVAILABLE",
    "BOOKED_IN_ERROR",
    "OTHER",
    "UNCODED",
]


async def cancelled(
    g: Group, at: datetime, code: str | None, late: bool, where: Any = None
) -> None:
    values = {"cancel_code": code, "late_cancellation": late, "cancel_reason": "x"}
    await appointment(where or g.a, at, "CANCELLED", **values)


async def _diary() -> Group:
    """Week 1: PATIENT_ILL twice (one late), PRACTICE_CANCELLED, one uncoded (late); a
    completed visit (not a cancellation). Week 2: RESCHEDULED, one uncoded. Practice b: COST
    (late) in week 1."""
    g = await group()
    await cancelled(g, local(2026, 11, 2, 9), "PATIENT_ILL", True)
    await cancelled(g, local(2026, 11, 3, 9), "PATIENT_ILL", False)
    await cancelled(g, local(2026, 11, 4, 9), "PRACTICE_CANCELLED", False)
    await cancelled(g, local(2026, 11, 5, 9), None, True)
    await appointment(g.a, local(2026, 11, 5, 10), "COMPLETED")
    await cancelled(g, local(2026, 11, 9, 9), "RESCHEDULED", False)
    await cancelled(g, local(2026, 11, 10, 9), None, False)
    await cancelled(g, local(2026, 11, 3, 9), "COST", True, g.b)
    await cancelled(g, local(2026, 11, 3, 9), "COST", True, g.other)  # another organisation
    return g


def _counts(reasons: list[dict[str, Any]]) -> dict[str, tuple[int, int, float | None]]:
    assert [r["reason"] for r in reasons] == REASONS  # every reason, in a fixed order
    return {
        r["reason"]: (r["cancelled"], r["lateCancelled"], r["share"])
        for r in reasons
        if r["cancelled"]
    }


async def test_cancellations_by_reason_per_week(client: httpx.AsyncClient) -> None:
    g = await _diary()
    token = await token_for(Role.PRACTICE_ADMIN, g.a)
    result = await gql(client, REPORT, {"p": str(g.a.practice.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    (found,) = result.data["cancellationReasonsReport"]["practices"]
    first, second = found["buckets"]
    assert (first["cancelled"], first["lateCancelled"]) == (4, 2)
    assert _counts(first["reasons"]) == {
        "PATIENT_ILL": (2, 1, 0.5),
        "PRACTICE_CANCELLED": (1, 0, 0.25),
        "UNCODED": (1, 1, 0.25),
    }
    assert first["reasons"][0] == {
        "reason": "PATIENT_REQUEST",
        "cancelled": 0,
        "lateCancelled": 0,
        "share": 0.0,
    }
    assert _counts(second["reasons"]) == {"RESCHEDULED": (1, 0, 0.5), "UNCODED": (1, 0, 0.5)}
    total = found["total"]
    assert (total["cancelled"], total["lateCancelled"]) == (6, 2)
    assert _counts(total["reasons"]) == {
        "PATIENT_ILL": (2, 1, 0.3333),
        "RESCHEDULED": (1, 0, 0.1667),
        "PRACTICE_CANCELLED": (1, 0, 0.1667),
        "UNCODED": (2, 1, 0.3333),
    }
    assert len(await AuditEvent.filter(entity_type="Report:cancellationReasons")) == 1


async def test_the_roll_up_adds_practices(client: httpx.AsyncClient) -> None:
    g = await _diary()
    token = await token_for(Role.ORG_ADMIN, org=g.organization)
    result = await gql(client, REPORT, {"o": str(g.organization.id), "period": WEEKS}, token=token)
    assert result.errors == [], result.errors
    total = result.data["cancellationReasonsReport"]["combined"]["total"]
    assert (total["cancelled"], total["lateCancelled"]) == (7, 3)
    counts = {r["reason"]: (r["cancelled"], r["lateCancelled"]) for r in total["reasons"]}
    assert counts["COST"] == (1, 1)
    assert counts["UNCODED"] == (2, 1)


async def test_reception_codes_a_cancellation_and_the_portal_says_patient_request(
    client: httpx.AsyncClient,
) -> None:
    g = await group()
    a = g.a
    later = datetime(2030, 1, 8, 10, tzinfo=UTC)
    staff = await appointment(a, later)
    done = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": str(staff.id), "reason": "Flu", "reasonCode": "PATIENT_ILL"}},
        token=a.token,
    )
    assert done.errors == [], done.errors
    assert done.data["cancelAppointment"]["appointment"] == {
        "status": "CANCELLED",
        "cancelReason": "Flu",
        "cancelReasonCode": "PATIENT_ILL",
    }
    uncoded = await appointment(a, later.replace(hour=11))
    done = await gql(
        client, CANCEL, {"input": {"appointmentId": str(uncoded.id), "reason": "?"}}, token=a.token
    )
    assert done.data["cancelAppointment"]["appointment"]["cancelReasonCode"] is None
    bad = await gql(
        client,
        CANCEL,
        {"input": {"appointmentId": str(uncoded.id), "reason": "?", "reasonCode": "UNCODED"}},
        token=a.token,
    )
    assert bad.codes == ["BAD_USER_INPUT"]  # a report's bucket, not a reason one can give
    own = await appointment(a, later.replace(hour=12))
    patient = await factories.user(Role.PATIENT, a.practice, patient_id=a.patient.id)
    done = await gql(
        client,
        CANCEL_OWN,
        {"input": {"appointmentId": str(own.id), "reason": "Cannot make it"}},
        token=factories.access_token(patient),
    )
    assert done.errors == [], done.errors
    assert done.data["cancelOwnAppointment"]["appointment"]["cancelReasonCode"] == "PATIENT_REQUEST"
    assert (await Appointment.get(id=own.id)).cancel_code == "PATIENT_REQUEST"
    week = {"from": "2030-01-07", "to": "2030-01-13", "grouping": "WEEK"}
    admin = await token_for(Role.PRACTICE_ADMIN, a)
    result = await gql(client, REPORT, {"p": str(a.practice.id), "period": week}, token=admin)
    reasons = result.data["cancellationReasonsReport"]["practices"][0]["total"]["reasons"]
    assert _counts(reasons) == {
        "PATIENT_REQUEST": (1, 0, 0.3333),
        "PATIENT_ILL": (1, 0, 0.3333),
        "UNCODED": (1, 0, 0.3333),
    }
