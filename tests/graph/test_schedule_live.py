"""The live board end to end: a real WebSocket client sees bookings made over HTTP by another
user, in order, with the appointment as the board shows it (no clinical fields for reception),
and resumes with ``since`` after a disconnect."""

from __future__ import annotations

from typing import Any

import pytest

from services.policy import Role
from tests import factories
from tests.graph.test_schedule_booking import BOOK, booking
from tests.realtime.harness import Client, Server, graphql
from tests.scheduling_fixtures import Diary, diary, iso

LIVE = """
subscription Live($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) {
    kind sequence appointmentId holdId waitlistEntryId startsAt endsAt
    appointment {
      id startsAt status patient { id lastName } practitioner { displayName }
      room { name } appointmentType { name }
    }
  }
}"""
CLINICAL_LIVE = LIVE.replace("status patient", "status clinicalNote patient")
HOLD = """
mutation H($input: HoldSlotInput!) { holdSlot(input: $input) { hold { id } } }"""
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status } }
}"""
WAIT = """
mutation W($input: AddToWaitlistInput!) { addToWaitlist(input: $input) { entry { id } } }"""


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def call(server: Server, document: str, variables: dict[str, Any], token: str) -> Any:
    body = await graphql(server, document, variables, token)
    assert "errors" not in body, body
    return body["data"]


async def book(server: Server, d: Diary, token: str, hour: int, **extra: Any) -> str:
    data = await call(server, BOOK, booking(d, iso(d.at(7, hour)), **extra), token)
    return str(data["bookAppointment"]["appointment"]["id"])


async def test_a_board_sees_another_users_booking_and_resumes_after_a_disconnect(
    server: Server, data: None
) -> None:
    d = await diary()
    booker = factories.access_token(await factories.user(Role.RECEPTIONIST, d.practice))
    dentist = factories.access_token(d.dentist_user)
    async with Client.connect(server, d.token) as desk, Client.connect(server, dentist) as chair:
        await desk.subscribe("desk", d.practice.id, query=LIVE)
        await chair.subscribe("chair", d.practice.id, query=CLINICAL_LIVE)
        first_id = await book(server, d, booker, 10, clinicalNote="Sensitive: anxious patient.")
        [seen] = await desk.events(1)
        [clinical] = await chair.events(1)
    assert seen["kind"] == "APPOINTMENT_BOOKED"
    assert seen["appointmentId"] == first_id
    assert seen["appointment"]["id"] == first_id
    assert seen["appointment"]["status"] == "BOOKED"
    assert seen["appointment"]["patient"] == {
        "id": str(d.patient.id),
        "lastName": d.patient.last_name,
    }
    assert seen["appointment"]["practitioner"]["displayName"] == d.dentist.display_name
    assert seen["appointment"]["room"]["name"] == "Surgery 1"
    assert seen["appointment"]["appointmentType"]["name"] == "Examination"
    assert "clinicalNote" not in seen["appointment"]
    assert clinical["sequence"] == seen["sequence"]
    assert clinical["appointment"]["clinicalNote"] == "Sensitive: anxious patient."

    # While the desk is away: a hold, a waitlist entry, and a cancellation that offers the slot.
    hold = await call(
        server,
        HOLD,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "practitionerId": str(d.dentist.id),
                "appointmentTypeId": str(d.exam.id),
                "startsAt": iso(d.at(7, 12)),
            }
        },
        booker,
    )
    hold_id = hold["holdSlot"]["hold"]["id"]
    waiting = await factories.patient(d.practice)
    entry = await call(
        server,
        WAIT,
        {
            "input": {
                "practiceId": str(d.practice.id),
                "patientId": str(waiting.id),
                "appointmentTypeId": str(d.exam.id),
            }
        },
        booker,
    )
    entry_id = entry["addToWaitlist"]["entry"]["id"]
    await call(server, CANCEL, {"input": {"appointmentId": first_id, "reason": "Ill"}}, booker)

    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, since=seen["sequence"], query=LIVE)
        missed = await desk.events(3)
        assert [e["kind"] for e in missed] == [
            "SLOT_HELD",
            "APPOINTMENT_CANCELLED",
            "WAITLIST_OFFERED",
        ]
        assert [e["sequence"] for e in missed] == [seen["sequence"] + n for n in (1, 2, 3)]
        held, cancelled, offered = missed
        assert held["holdId"] == hold_id
        assert held["appointment"] is None
        assert cancelled["appointment"]["status"] == "CANCELLED"
        assert offered["waitlistEntryId"] == entry_id
        assert offered["appointmentId"] is None
        assert offered["startsAt"] == cancelled["startsAt"]
        # Live again after the replay: the next booking arrives once, next in sequence.
        second_id = await book(server, d, booker, 14)
        [live] = await desk.events(1)
        assert live["kind"] == "APPOINTMENT_BOOKED"
        assert live["appointment"]["id"] == second_id
        assert live["sequence"] == offered["sequence"] + 1
        assert await desk.quiet()


async def test_a_receptionist_asking_for_clinical_fields_gets_none(
    server: Server, data: None
) -> None:
    d = await diary()
    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, query=CLINICAL_LIVE)
        await book(server, d, d.token, 11, clinicalNote="Sensitive: allergy.")
        message = await desk.recv(8)
    assert message["type"] == "next", message
    payload = message["payload"]
    event = payload["data"]["scheduleChanged"]
    assert event["kind"] == "APPOINTMENT_BOOKED"
    assert event["appointment"]["clinicalNote"] is None
    assert event["appointment"]["patient"]["id"] == str(d.patient.id)
    assert [e["extensions"]["code"] for e in payload["errors"]] == ["FORBIDDEN"]
    assert "allergy" not in str(message)
