"""Booking over GraphQL: conflicts, bad input, restricted procedures, and the 25-way race."""

from __future__ import annotations

import asyncio
from datetime import date
from typing import Any

import httpx

from db.models import Appointment, AuditEvent, DomainEvent, ScheduleBlock
from tests import factories
from tests.factories import gql
from tests.scheduling_fixtures import Diary, diary, iso

BOOK = """
mutation Book($input: BookAppointmentInput!) {
  bookAppointment(input: $input) {
    appointment { id status startsAt endsAt roomId source ageCheckedYears }
  }
}"""


def booking(d: Diary, start: str, **overrides: Any) -> dict[str, Any]:
    return {
        "input": {
            "practiceId": str(d.practice.id),
            "patientId": str(d.patient.id),
            "practitionerId": str(d.dentist.id),
            "appointmentTypeId": str(d.exam.id),
            "startsAt": start,
            **overrides,
        }
    }


async def test_booking_occupies_the_diary_emits_an_event_and_is_audited(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    result = await gql(client, BOOK, booking(d, iso(d.at(7, 10))), token=d.token)
    assert result.errors == []
    made = result.data["bookAppointment"]["appointment"]
    assert made["status"] == "BOOKED"
    assert made["roomId"] == str(d.room.id)  # the practitioner's default room
    assert made["endsAt"].startswith(iso(d.at(7, 10, 30))[:19])
    blocks = await ScheduleBlock.filter(appointment_id=made["id"]).values_list("key", flat=True)
    assert {b.split(":")[0] for b in blocks} == {"practitioner", "room", "patient"}
    events = await DomainEvent.filter(entity_id=made["id"])
    assert [(e.topic, e.type) for e in events] == [("schedule", "appointment.booked")]
    assert await AuditEvent.filter(action="BOOK_APPOINTMENT", entity_id=made["id"]).count() == 1


async def test_a_clash_is_a_conflict_naming_what_clashes(client: httpx.AsyncClient) -> None:
    d = await diary()
    other = await factories.patient(d.practice)
    first = await gql(client, BOOK, booking(d, iso(d.at(7, 10))), token=d.token)
    assert first.errors == []
    again = booking(d, iso(d.at(7, 10, 15)), patientId=str(other.id), roomId=str(d.room2.id))
    result = await gql(client, BOOK, again, token=d.token)
    assert result.codes == ["CONFLICT"]
    assert "the practitioner" in result.errors[0]["message"]
    assert result.errors[0]["extensions"]["field"] == "practitionerId"
    assert await Appointment.filter(practice_id=d.practice.id).count() == 1


async def test_bad_input_changes_nothing(client: httpx.AsyncClient) -> None:
    d = await diary()
    foreign = await factories.patient(await factories.practice())
    cases = [
        (booking(d, iso(d.at(7, 10)), endsAt=iso(d.at(7, 9))), "BAD_USER_INPUT", "endsAt"),
        # longer than LONGEST_APPOINTMENT, which a day's board relies on
        (booking(d, iso(d.at(7, 6)), endsAt=iso(d.at(7, 18, 1))), "BAD_USER_INPUT", "endsAt"),
        (booking(d, iso(d.at(-1, 10))), "BAD_USER_INPUT", "startsAt"),
        (booking(d, iso(d.at(7, 10)), patientId=str(foreign.id)), "NOT_FOUND", None),
        (booking(d, iso(d.at(7, 10)), appointmentTypeId=str(d.room.id)), "NOT_FOUND", None),
        (booking(d, iso(d.at(7, 10)), patientId="not-an-id"), "BAD_USER_INPUT", "patientId"),
        (booking(d, iso(d.at(7, 19))), "CONFLICT", "startsAt"),  # after the session
    ]
    for variables, code, field in cases:
        result = await gql(client, BOOK, variables, token=d.token)
        assert result.codes == [code], variables
        assert result.errors[0]["extensions"].get("field") == field
    assert await Appointment.filter(practice_id=d.practice.id).count() == 0
    assert await DomainEvent.filter(practice_id=d.practice.id).count() == 0


async def test_another_practices_patient_looks_like_a_random_id(client: httpx.AsyncClient) -> None:
    d = await diary()
    foreign = await factories.patient(await factories.practice())
    theirs = await gql(
        client, BOOK, booking(d, iso(d.at(7, 10)), patientId=str(foreign.id)), token=d.token
    )
    random = await gql(
        client,
        BOOK,
        booking(d, iso(d.at(7, 10)), patientId="0b0e6d4c-1111-4a4a-9b9b-123456789abc"),
        token=d.token,
    )
    assert theirs.errors[0]["message"] == random.errors[0]["message"]
    assert theirs.codes == random.codes == ["NOT_FOUND"]


async def test_restricted_procedure_refused_for_under_18_in_england_and_recorded(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    today = date.today()
    minor = await factories.patient(d.practice, date_of_birth=date(today.year - 17, 1, 1))
    refused = await gql(
        client,
        BOOK,
        booking(d, iso(d.at(7, 10)), patientId=str(minor.id), appointmentTypeId=str(d.filler.id)),
        token=d.token,
    )
    assert refused.codes == ["BAD_USER_INPUT"]
    assert refused.errors[0]["extensions"]["field"] == "patientId"
    denied = await AuditEvent.filter(action="AGE_CHECK", patient_id=minor.id)
    assert [row.outcome for row in denied] == ["DENIED"]
    assert await Appointment.filter(patient_id=minor.id).count() == 0
    adult = await gql(
        client,
        BOOK,
        booking(d, iso(d.at(7, 11)), appointmentTypeId=str(d.filler.id)),
        token=d.token,
    )
    assert adult.errors == []
    assert adult.data["bookAppointment"]["appointment"]["ageCheckedYears"] >= 18


async def test_restricted_procedure_is_allowed_for_minors_outside_england(
    client: httpx.AsyncClient,
) -> None:
    d = await diary(jurisdiction="SCOTLAND")
    minor = await factories.patient(d.practice, date_of_birth=date(date.today().year - 17, 1, 1))
    result = await gql(
        client,
        BOOK,
        booking(d, iso(d.at(7, 10)), patientId=str(minor.id), appointmentTypeId=str(d.filler.id)),
        token=d.token,
    )
    assert result.errors == []


async def test_25_concurrent_attempts_at_one_slot_one_wins(client: httpx.AsyncClient) -> None:
    d = await diary()
    patients = [await factories.patient(d.practice) for _ in range(25)]
    start = iso(d.at(9, 11))
    attempts = [
        gql(client, BOOK, booking(d, start, patientId=str(p.id)), token=d.token) for p in patients
    ]
    results = await asyncio.gather(*attempts)
    winners = [r for r in results if not r.errors]
    losers = [r for r in results if r.errors]
    assert len(winners) == 1
    assert all(r.codes == ["CONFLICT"] for r in losers)
    assert all("practitioner" in r.errors[0]["message"] for r in losers)
    assert await Appointment.filter(practice_id=d.practice.id).count() == 1
