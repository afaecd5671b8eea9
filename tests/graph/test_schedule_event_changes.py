"""Live events say what happened (issue 11 item 7), over a real server and WebSocket client.

Each event carries the change recorded when it committed (before/after, who, when), so a
CONFIRMED event says CONFIRMED even when the appointment has since moved on; each event links to
the previous event of its own stream (schedule and consent share the practice's sequence); and
the board's ``sequence`` watermark lets a client load the board, then subscribe with ``since``
and miss nothing in between.
"""

from __future__ import annotations

from typing import Any

import pytest

from services.policy import Role
from tests import factories
from tests.graph.test_consent_api import RECORD, WITHDRAW
from tests.graph.test_consent_live import CONSENTS as _CONSENTS
from tests.graph.test_consent_live import marketing
from tests.graph.test_schedule_live import book, call
from tests.realtime.harness import Client, Server
from tests.scheduling_fixtures import diary, iso

CHANGES = """
subscription Changes($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) {
    kind sequence previousSequence occurredAt appointmentId
    appointment { id status }
    change {
      before { status startsAt endsAt practitionerId roomId }
      after { status startsAt endsAt practitionerId roomId }
    }
    actor { kind userId role }
  }
}"""
CONSENTS = (
    _CONSENTS.replace(
        "($practiceId: ID!, $patientId: ID!)", "($practiceId: ID!, $patientId: ID!, $since: Int)"
    )
    .replace("patientId: $patientId)", "patientId: $patientId, since: $since)")
    .replace("purpose", "purpose granted previousSequence actor { kind userId role }")
)
STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status } }
}"""
BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) { sequence appointments { id } }
}"""


@pytest.fixture
def server(live_server: Server) -> Server:
    return live_server


@pytest.fixture
def data(live_orm: None) -> None:
    return live_orm


async def _status(server: Server, token: str, appointment_id: str, status: str) -> None:
    await call(
        server, STATUS, {"input": {"appointmentId": appointment_id, "status": status}}, token
    )


async def test_status_events_say_which_transition_happened_and_who_made_it(
    server: Server, data: None
) -> None:
    d = await diary()
    booker = await factories.user(Role.RECEPTIONIST, d.practice)
    token = factories.access_token(booker)
    appointment_id = await book(server, d, token, 10)
    await _status(server, token, appointment_id, "CONFIRMED")
    await _status(server, token, appointment_id, "ARRIVED")

    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, since=0, query=CHANGES)
        booked, confirmed, arrived = await desk.events(3)
        assert await desk.quiet()

    assert [e["kind"] for e in (booked, confirmed, arrived)] == [
        "APPOINTMENT_BOOKED",
        "APPOINTMENT_STATUS_CHANGED",
        "APPOINTMENT_STATUS_CHANGED",
    ]
    # Each event says what it did, as committed: not the state read when it is sent.
    assert booked["change"]["before"] is None
    assert booked["change"]["after"]["status"] == "BOOKED"
    assert confirmed["change"]["before"]["status"] == "BOOKED"
    assert confirmed["change"]["after"]["status"] == "CONFIRMED"
    assert arrived["change"]["before"]["status"] == "CONFIRMED"
    assert arrived["change"]["after"]["status"] == "ARRIVED"
    after = confirmed["change"]["after"]
    assert after["startsAt"] == booked["change"]["after"]["startsAt"]
    assert after["practitionerId"] == str(d.dentist.id)
    assert after["roomId"] == str(d.room.id)
    # ``appointment`` is documented as the current state: it has already arrived.
    assert confirmed["appointment"] == {"id": appointment_id, "status": "ARRIVED"}
    # Who made each change: the booking receptionist, by id and role only.
    for event in (booked, confirmed, arrived):
        assert event["actor"] == {"kind": "STAFF", "userId": str(booker.id), "role": "RECEPTIONIST"}
    # The schedule stream links each event to the previous one.
    assert booked["previousSequence"] == 0
    assert confirmed["previousSequence"] == booked["sequence"]
    assert arrived["previousSequence"] == confirmed["sequence"]


async def test_a_reschedule_event_carries_the_times_it_moved_from_and_to(
    server: Server, data: None
) -> None:
    d = await diary()
    appointment_id = await book(server, d, d.token, 10)
    moved = """
    mutation M($input: RescheduleAppointmentInput!) {
      rescheduleAppointment(input: $input) { appointment { startsAt } }
    }"""
    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, query=CHANGES)
        await call(
            server,
            moved,
            {"input": {"appointmentId": appointment_id, "startsAt": iso(d.at(7, 14))}},
            d.token,
        )
        [event] = await desk.events(1)
    assert event["kind"] == "APPOINTMENT_RESCHEDULED"
    before, after = event["change"]["before"], event["change"]["after"]
    assert before["startsAt"] != after["startsAt"]
    assert before["status"] == "BOOKED"
    assert after["status"] == "BOOKED"


async def test_schedule_and_consent_streams_each_link_to_their_own_previous_event(
    server: Server, data: None
) -> None:
    d = await diary()
    other = await factories.patient(d.practice)
    desk = factories.access_token(await factories.user(Role.RECEPTIONIST, d.practice))

    first = await book(server, d, d.token, 10)  # schedule
    await call(server, RECORD, {"input": marketing(d.patient.id)}, desk)  # consent, patient
    await call(server, RECORD, {"input": marketing(other.id)}, desk)  # consent, other patient
    await _status(server, d.token, first, "CONFIRMED")  # schedule
    await call(server, WITHDRAW, {"input": marketing(d.patient.id)}, desk)  # consent, patient

    async with Client.connect(server, desk) as client:
        await client.subscribe("board", d.practice.id, since=0, query=CHANGES)
        booked, confirmed = await client.events(2)
        await client.send(
            {
                "id": "consent",
                "type": "subscribe",
                "payload": {
                    "query": CONSENTS,
                    "variables": {
                        "practiceId": str(d.practice.id),
                        "patientId": str(d.patient.id),
                        "since": 0,
                    },
                },
            }
        )
        granted, withdrawn = [await _consent(client) for _ in range(2)]
        assert await client.quiet()

    # The practice's sequence is shared, so each stream sees gaps ...
    assert confirmed["sequence"] > booked["sequence"] + 1
    assert withdrawn["sequence"] > granted["sequence"] + 1
    # ... and each event names its stream's previous event, so a gap is not a loss.
    assert booked["previousSequence"] == 0
    assert confirmed["previousSequence"] == booked["sequence"]
    assert granted["previousSequence"] == 0
    assert withdrawn["previousSequence"] == granted["sequence"]  # the other patient's is not
    assert (granted["granted"], withdrawn["granted"]) == (True, False)
    assert withdrawn["actor"]["kind"] == "STAFF"
    assert withdrawn["actor"]["role"] == "RECEPTIONIST"


async def _consent(client: Client) -> dict[str, Any]:
    message = await client.recv(8)
    assert message["type"] == "next", message
    assert message["id"] == "consent", message
    assert "errors" not in message["payload"], message
    event: dict[str, Any] = message["payload"]["data"]["consentChanged"]
    return event


async def test_board_watermark_then_since_delivers_a_later_change_exactly_once(
    server: Server, data: None
) -> None:
    d = await diary()
    await book(server, d, d.token, 9)  # already on the board when it is loaded
    span = {"practiceId": str(d.practice.id), "from": iso(d.at(7, 0)), "to": iso(d.at(8, 0))}
    board = (await call(server, BOARD, span, d.token))["schedule"]
    assert len(board["appointments"]) == 1
    watermark = board["sequence"]
    assert watermark >= 1

    later = await book(server, d, d.token, 11)  # committed between the load and the subscribe

    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, since=watermark, query=CHANGES)
        [event] = await desk.events(1)
        assert await desk.quiet()  # exactly once, and nothing already on the board
    assert event["kind"] == "APPOINTMENT_BOOKED"
    assert event["appointmentId"] == later
    assert event["sequence"] == watermark + 1
    assert event["previousSequence"] == watermark
