"""A board open all day learns about set-up changes: renaming a room or recording an absence
arrives as SETUP_CHANGED (what changed, its id, bookings it left outside bookable time) on
every board of the practice whatever its time window, and replays with ``since``."""

from __future__ import annotations

from typing import Any

import pytest

from services.policy import Role
from tests import factories
from tests.graph.test_schedule_booking import BOOK, booking
from tests.realtime.harness import Client, Server, graphql
from tests.scheduling_fixtures import diary, iso

BOARD = """
subscription Board($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since, from: "%s", to: "%s") {
    kind sequence appointmentId
    setupChange { entity id change affectedAppointmentIds }
  }
}"""
RENAME = """
mutation R($input: UpdateRoomInput!) { updateRoom(input: $input) { id } }"""
ABSENCE = """
mutation A($input: RecordAbsenceInput!) {
  recordAbsence(input: $input) { id affectedAppointmentIds }
}"""


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


async def test_boards_receive_set_up_changes_whatever_their_window(
    server: Server, data: None
) -> None:
    d = await diary()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    today = BOARD % (iso(d.at(7, 0)), iso(d.at(8, 0)))
    next_week = BOARD % (iso(d.at(14, 0)), iso(d.at(15, 0)))
    async with Client.connect(server, d.token) as desk, Client.connect(server, d.token) as later:
        await desk.subscribe("desk", d.practice.id, query=today)
        await later.subscribe("later", d.practice.id, query=next_week)
        made = await call(server, BOOK, booking(d, iso(d.at(7, 10))), d.token)
        booked_id = made["bookAppointment"]["appointment"]["id"]
        [booked] = await desk.events(1)
        rename = {"practiceId": str(d.practice.id), "roomId": str(d.room.id), "name": "Chair 1"}
        await call(server, RENAME, {"input": rename}, admin)
        absence = {
            "practiceId": str(d.practice.id),
            "practitionerId": str(d.dentist.id),
            "kind": "SICKNESS",
            "startsAt": iso(d.at(7, 9)),
            "endsAt": iso(d.at(7, 13)),
            "acceptAffectedBookings": True,
        }
        recorded = await call(server, ABSENCE, {"input": absence}, d.token)
        absence_id = recorded["recordAbsence"]["id"]
        assert recorded["recordAbsence"]["affectedAppointmentIds"] == [booked_id]
        renamed, sick = await desk.events(2)
        assert await later.events(2) == [renamed, sick]  # the booking was outside its window
        assert await desk.quiet()
        assert await later.quiet()
    assert booked["kind"] == "APPOINTMENT_BOOKED"
    assert booked["setupChange"] is None
    assert renamed == {
        "kind": "SETUP_CHANGED",
        "sequence": booked["sequence"] + 1,
        "appointmentId": None,
        "setupChange": {
            "entity": "ROOM",
            "id": str(d.room.id),
            "change": "UPDATED",
            "affectedAppointmentIds": [],
        },
    }
    assert sick["setupChange"] == {
        "entity": "ABSENCE",
        "id": absence_id,
        "change": "CREATED",
        "affectedAppointmentIds": [booked_id],
    }
    # A board that was away replays what it missed.
    async with Client.connect(server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, since=booked["sequence"], query=today)
        assert await desk.events(2) == [renamed, sick]
