"""A patient's SMS "NO" arrives live on the board as a call request, and clearing it does too.

A real uvicorn server (SQLite, and PostgreSQL) takes the signed reply at its webhook; WebSocket
clients speaking graphql-transport-ws, subscribed to the practice's board, receive the
appointment with ``needsCall`` set, then cleared by ``resolveCallRequest``; a client resuming
with ``since`` gets both again from the outbox.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from db.models import Message
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import twilio
from tests.conftest import BACKENDS
from tests.databases import PostgresDatabase, SqliteTemplate
from tests.graph.test_schedule_booking import BOOK, booking
from tests.messaging_support import TWILIO_SID, TWILIO_TOKEN, contactable, practice_messages
from tests.realtime.harness import Client, Server, graphql, orm, server_env
from tests.scheduling_fixtures import diary, iso

catalogue.load()  # the message handlers are registered wherever jobs run

LIVE = """
subscription Live($practiceId: ID!, $since: Int) {
  scheduleChanged(practiceId: $practiceId, since: $since) {
    kind sequence appointmentId
    appointment { id status needsCall callRequestedAt callReason }
    change { before { needsCall } after { needsCall status } }
    actor { kind }
  }
}"""
RESOLVE = """
mutation R($input: ResolveCallRequestInput!) {
  resolveCallRequest(input: $input) { appointment { needsCall } }
}"""


@pytest.fixture(scope="module", params=BACKENDS)
def sms_place(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[str, Path]:
    var_dir = tmp_path_factory.mktemp("calls")
    if request.param == "sqlite":
        template: SqliteTemplate = request.getfixturevalue("sqlite_template")
        return template.fresh_url(), var_dir
    database: PostgresDatabase = request.getfixturevalue("postgres_database")
    database.truncate()
    return database.url, var_dir


@pytest.fixture(scope="module")
def sms_server(sms_place: tuple[str, Path]) -> Iterator[Server]:
    env = server_env(
        *sms_place,
        AESCRM_TWILIO_ACCOUNT_SID=TWILIO_SID,
        AESCRM_TWILIO_AUTH_TOKEN=TWILIO_TOKEN,
        AESCRM_TWILIO_API_BASE="http://127.0.0.1:9",  # the practice keeps its SMS
    )
    running = Server(env).start()
    yield running
    running.stop()


@pytest.fixture
async def sms_orm(sms_place: tuple[str, Path]) -> AsyncIterator[None]:
    async with orm(*sms_place):
        yield


async def _reply(
    server: Server,
    body: str,
    sid: str,
    *,
    number: str = "+447700900123",
    token: str = TWILIO_TOKEN,
) -> int:
    """Posts a reply as Twilio does, signed with ``token``; the answer's status code."""
    url = f"{server.http}/webhooks/sms/twilio"
    form = {"From": number, "Body": body, "MessageSid": sid}
    signature = twilio.signature(token, url, form.items())
    async with httpx.AsyncClient(timeout=10) as http:
        answer = await http.post(url, data=form, headers={"x-twilio-signature": signature})
    return answer.status_code


async def test_a_no_reaches_the_board_live_and_so_does_clearing_it(
    sms_server: Server, sms_orm: None
) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    made = await graphql(sms_server, BOOK, booking(d, iso(d.at(7, 10))), d.token)
    appointment_id = made["data"]["bookAppointment"]["appointment"]["id"]
    while await run_due(now=datetime(2099, 1, 1, tzinfo=UTC)):  # the reminder goes out
        pass
    assert (await Message.get(purpose="APPOINTMENT_REMINDER")).status == "SENT"
    async with Client.connect(sms_server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, query=LIVE)
        # A forged reply: refused, and nothing reaches the board.
        assert await _reply(sms_server, "NO", "SMforged", token="wrong-token") == 403
        assert await desk.quiet(1.0)
        assert await _reply(sms_server, "No, sorry", "SMno") == 200
        [requested] = await desk.events(1)
        assert requested["kind"] == "APPOINTMENT_CALL_REQUESTED"
        assert requested["appointmentId"] == appointment_id
        shown = requested["appointment"]
        assert (shown["status"], shown["needsCall"], shown["callReason"]) == (
            "BOOKED",
            True,
            "DECLINED",
        )
        assert shown["callRequestedAt"] is not None
        assert requested["change"] == {
            "before": {"needsCall": False},
            "after": {"needsCall": True, "status": "BOOKED"},
        }
        assert requested["actor"] == {"kind": "SYSTEM"}
        resolved = await graphql(
            sms_server, RESOLVE, {"input": {"appointmentId": appointment_id}}, d.token
        )
        assert resolved["data"]["resolveCallRequest"]["appointment"]["needsCall"] is False
        [cleared] = await desk.events(1)
        assert cleared["kind"] == "APPOINTMENT_CALL_RESOLVED"
        assert cleared["appointment"]["needsCall"] is False
        assert cleared["appointment"]["callReason"] is None
        assert cleared["change"]["before"] == {"needsCall": True}
        assert cleared["actor"] == {"kind": "STAFF"}
    # A board that was away resumes from before the reply and misses neither.
    async with Client.connect(sms_server, d.token) as late:
        await late.subscribe("late", d.practice.id, since=requested["sequence"] - 1, query=LIVE)
        replayed = await late.events(2)
    assert [e["kind"] for e in replayed] == [
        "APPOINTMENT_CALL_REQUESTED",
        "APPOINTMENT_CALL_RESOLVED",
    ]
    assert [e["sequence"] for e in replayed] == [requested["sequence"], cleared["sequence"]]
    # Replayed events carry the appointment as it is now; what each did is in `change`.
    assert [e["change"]["after"]["needsCall"] for e in replayed] == [True, False]


async def test_a_yes_reaches_the_board_confirmed_and_not_flagged(
    sms_server: Server, sms_orm: None
) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900124")
    await practice_messages(d.practice.id, development_channel=True)
    made = await graphql(sms_server, BOOK, booking(d, iso(d.at(8, 10))), d.token)
    appointment_id = made["data"]["bookAppointment"]["appointment"]["id"]
    while await run_due(now=datetime(2099, 1, 1, tzinfo=UTC)):
        pass
    async with Client.connect(sms_server, d.token) as desk:
        await desk.subscribe("desk", d.practice.id, query=LIVE)
        assert await _reply(sms_server, "YES", "SMyes", number="+447700900124") == 200
        [seen] = await desk.events(1)
        assert await desk.quiet(1.0)  # one event: the confirmation, no call request
    assert seen["kind"] == "APPOINTMENT_STATUS_CHANGED"
    assert seen["appointmentId"] == appointment_id
    assert (seen["appointment"]["status"], seen["appointment"]["needsCall"]) == (
        "CONFIRMED",
        False,
    )
