"""``strandedAppointments``: live bookings outside bookable time, each with why, for reception to
rebook even when the board missed the ``setup.changed`` event that named them."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

import httpx
import pytest

from db.models import AuditEvent, WorkingSession
from services.policy import Role
from tests import factories
from tests.factories import gql
from tests.graph.test_schedule_sessions import DAY, admin_token, local
from tests.graph.test_schedule_stranding import (
    ABSENCE,
    CANCEL,
    CLOSURE,
    HOURS,
    SESSION,
    book,
    run,
)
from tests.scheduling_fixtures import LONDON, Diary, diary, iso
from tests.sql_counter import count_statements

STRANDED = """
query Stranded($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  strandedAppointments(practiceId: $practiceId, from: $from, to: $to) {
    reason
    appointment { id startsAt status practitionerId }
    patient { id lastName }
  }
}"""
NEXT = DAY + timedelta(days=1)


def span(d: Diary, days: int = 2) -> dict[str, str]:
    start = datetime.combine(DAY, time(0), LONDON)
    return {
        "practiceId": str(d.practice.id),
        "from": iso(start),
        "to": iso(start + timedelta(days=days)),
    }


async def accepted(
    client: httpx.AsyncClient, document: str, values: dict[str, Any], token: str
) -> Any:
    result = await run(client, document, {**values, "acceptAffectedBookings": True}, token)
    assert result.errors == [], result.errors
    return result


async def test_each_stranded_booking_is_listed_with_why_and_nothing_else(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = await admin_token(d)
    practice = str(d.practice.id)
    absent = await book(client, d, 9)
    closed = await book(client, d, 12)
    after_hours = await book(client, d, 16)
    fine = await book(client, d, 13)
    cancelled = await book(client, d, 10)
    late = await book(client, d, 17, NEXT)
    await accepted(
        client,
        ABSENCE,
        {
            "practiceId": practice,
            "practitionerId": str(d.dentist.id),
            "kind": "HOLIDAY",
            "startsAt": iso(local(DAY, 8, 30)),
            "endsAt": iso(local(DAY, 10, 30)),
        },
        d.token,
    )
    window = {"startsAt": iso(local(DAY, 11, 30)), "endsAt": iso(local(DAY, 12, 45))}
    await accepted(client, CLOSURE, {"practiceId": practice, **window, "reason": "Leak"}, admin)
    for day in (DAY, NEXT):
        hours = {"practiceId": practice, "weekday": day.weekday(), "openMinute": 8 * 60}
        await accepted(
            client, HOURS, {**hours, "closeMinute": 15 * 60 if day == DAY else 1440}, admin
        )
    session = await WorkingSession.get(practitioner_id=d.dentist.id, weekday=NEXT.weekday())
    shrink = {
        "practiceId": practice,
        "sessionId": str(session.id),
        "weekday": NEXT.weekday(),
        "startMinute": 8 * 60,
        "endMinute": 16 * 60,
        "validFrom": "2020-01-01",
    }
    await accepted(client, SESSION, shrink, admin)
    cancel = {"input": {"appointmentId": cancelled, "reason": "Away"}}
    assert (await gql(client, CANCEL, cancel, token=d.token)).errors == []

    result = await gql(client, STRANDED, span(d), token=d.token)

    assert result.errors == []
    rows = result.data["strandedAppointments"]
    assert [(r["appointment"]["id"], r["reason"]) for r in rows] == [
        (absent, "ABSENCE"),
        (closed, "CLOSURE"),
        (after_hours, "OUTSIDE_OPENING_HOURS"),
        (late, "OUTSIDE_SESSIONS"),
    ]
    assert fine not in str(result.body)
    assert rows[0]["appointment"]["status"] == "BOOKED"
    assert rows[0]["patient"] == {"id": str(d.patient.id), "lastName": d.patient.last_name}
    # A narrower span lists only what overlaps it; the read is audited per booking.
    first_day = await gql(client, STRANDED, span(d, days=1), token=d.token)
    assert len(first_day.data["strandedAppointments"]) == 3
    reads = await AuditEvent.filter(
        action="READ query Stranded", entity_id__in=[absent, closed, after_hours, late]
    ).values_list("patient_id", flat=True)
    assert set(reads) == {d.patient.id}
    assert len(reads) == 4 + 3


async def test_a_booking_inside_bookable_time_is_not_listed(client: httpx.AsyncClient) -> None:
    d = await diary()
    await book(client, d, 10)
    result = await gql(client, STRANDED, span(d), token=d.token)
    assert result.errors == []
    assert result.data["strandedAppointments"] == []


async def test_only_the_practices_staff_may_ask(client: httpx.AsyncClient) -> None:
    d = await diary()
    await book(client, d, 10)
    other = await diary()
    theirs = await gql(client, STRANDED, span(other), token=d.token)
    random = await gql(
        client,
        STRANDED,
        {**span(d), "practiceId": "0b0e6d4c-1111-4a4a-9b9b-123456789abc"},
        token=d.token,
    )
    assert theirs.codes == random.codes == ["NOT_FOUND"]
    assert theirs.errors[0]["message"] == random.errors[0]["message"]
    patient_user = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    own = await gql(client, STRANDED, span(d), token=factories.access_token(patient_user))
    assert own.codes == ["NOT_FOUND"]
    too_long = await gql(client, STRANDED, span(d, days=40), token=d.token)
    assert too_long.codes == ["BAD_USER_INPUT"]


async def test_costs_the_same_statements_for_2_or_8_stranded_bookings(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    counts = []
    for size in (2, 8):
        d = await diary()
        for n in range(size):
            patient = await factories.patient(d.practice)
            start = local(DAY, 8) + timedelta(minutes=30 * n)
            made = await gql(
                client,
                "mutation B($input: BookAppointmentInput!) "
                "{ bookAppointment(input: $input) { appointment { id } } }",
                {
                    "input": {
                        "practiceId": str(d.practice.id),
                        "patientId": str(patient.id),
                        "practitionerId": str(d.dentist.id),
                        "appointmentTypeId": str(d.exam.id),
                        "startsAt": iso(start),
                    }
                },
                token=d.token,
            )
            assert made.errors == []
        absence = {
            "practiceId": str(d.practice.id),
            "practitionerId": str(d.dentist.id),
            "kind": "SICKNESS",
            "startsAt": iso(local(DAY, 8)),
            "endsAt": iso(local(DAY, 13)),
        }
        await accepted(client, ABSENCE, absence, d.token)
        with count_statements(monkeypatch) as statements:
            result = await gql(client, STRANDED, span(d), token=d.token)
        assert len(result.data["strandedAppointments"]) == size
        counts.append(len(statements))
    assert counts[0] == counts[1]
