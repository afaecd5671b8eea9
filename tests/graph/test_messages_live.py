"""A patient's SMS "YES" arrives live on the board: the reply goes to a real server's signed
webhook, the scheduling workflow confirms the appointment, and a WebSocket subscriber of the
practice's board sees the status change."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from db.models import Appointment, Message
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import twilio
from tests.graph.test_schedule_booking import BOOK, booking
from tests.messaging_support import TWILIO_SID, TWILIO_TOKEN, contactable, practice_messages
from tests.realtime.harness import Client, Server, graphql, server_env
from tests.scheduling_fixtures import diary, iso

catalogue.load()  # the message handlers are registered wherever jobs run

LIVE = """
subscription Live($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) {
    kind appointmentId appointment { id status needsCall }
  }
}"""


@pytest.fixture(scope="module")
def sms_server(live_place: tuple[str, Path]) -> Iterator[Server]:
    env = server_env(
        *live_place,
        AESCRM_TWILIO_ACCOUNT_SID=TWILIO_SID,
        AESCRM_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        AESCRM_TWILIO_API_BASE="http://127.0.0.1:9",  # the practice keeps its SMS
    )
    running = Server(env).start()
    yield running
    running.stop()


async def test_a_yes_reply_confirms_and_the_board_sees_it(
    sms_server: Server, live_orm: None
) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    made = await graphql(sms_server, BOOK, booking(d, iso(d.at(7, 10))), d.token)
    appointment_id = made["data"]["bookAppointment"]["appointment"]["id"]
    while await run_due(now=datetime(2099, 1, 1, tzinfo=UTC)):  # the reminder goes out
        pass
    reminder = await Message.get(purpose="APPOINTMENT_REMINDER")
    assert reminder.status == "SENT"
    url = f"{sms_server.http}/webhooks/sms/twilio"
    form = {"From": "+447700900123", "Body": "YES", "MessageSid": "SMlive1"}
    async with Client.connect(sms_server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, query=LIVE)
        async with httpx.AsyncClient(timeout=10) as http:
            answer = await http.post(
                url,
                data=form,
                headers={"x-twilio-signature": twilio.signature(TWILIO_TOKEN, url, form.items())},
            )
        assert answer.status_code == 200
        [seen] = await desk.events(1)
    assert seen["appointmentId"] == appointment_id
    assert seen["appointment"]["status"] == "CONFIRMED"
    assert seen["appointment"]["needsCall"] is False  # a YES asks for no call
    assert (await Appointment.get(id=appointment_id)).status == "CONFIRMED"
