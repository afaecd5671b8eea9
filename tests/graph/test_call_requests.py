"""A patient's SMS reply that is not a usable YES puts a call request on the board.

Signed replies go to the provider's webhook as Twilio sends them; the board (``schedule``), the
appointment, the outbox and the audit log are read back. Staff clear a request with
``resolveCallRequest`` (audited, one event); any change to the appointment clears it too.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from db.models import Appointment, AuditEvent, Message
from db.models.outbox import DomainEvent
from graph.settings import Settings
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import twilio
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.messaging_support import TWILIO_SID, TWILIO_TOKEN, contactable, practice_messages
from tests.scheduling_fixtures import Diary, diary, iso

catalogue.load()  # the message handlers are registered wherever jobs run

BOARD = """
query Board($practiceId: ID!, $from: DateTime!, $to: DateTime!) {
  schedule(practiceId: $practiceId, from: $from, to: $to) {
    appointments { id status needsCall callRequestedAt callReason }
  }
}"""
RESOLVE = """
mutation R($input: ResolveCallRequestInput!) {
  resolveCallRequest(input: $input) {
    appointment { id status needsCall callRequestedAt callReason }
  }
}"""
STATUS = """
mutation S($input: SetAppointmentStatusInput!) {
  setAppointmentStatus(input: $input) { appointment { status needsCall callReason } }
}"""
CANCEL = """
mutation C($input: CancelAppointmentInput!) {
  cancelAppointment(input: $input) { appointment { status needsCall } }
}"""
REPLY_URL = "http://testserver/webhooks/sms/twilio"
MOBILE = "+447700900123"
REQUESTED, RESOLVED = "appointment.call_requested", "appointment.call_resolved"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_api_base="http://127.0.0.1:9",  # never reached: the practices keep their SMS
    )


async def _reminded(client: httpx.AsyncClient) -> tuple[Diary, str]:
    """A booking whose SMS reminder went out (development channel): replies can match it."""
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    made = await gql(client, BOOK, booking(d, iso(d.at(7, 10))), token=d.token)
    assert made.errors == []
    while await run_due(now=datetime(2099, 1, 1, tzinfo=UTC)):
        pass
    return d, str(made.data["bookAppointment"]["appointment"]["id"])


async def _reply(
    client: httpx.AsyncClient, body: str, sid: str, *, token: str = TWILIO_TOKEN
) -> httpx.Response:
    form = {"From": MOBILE, "Body": body, "MessageSid": sid, "To": "+447700900001"}
    signature = twilio.signature(token, REPLY_URL, form.items())
    path = REPLY_URL.removeprefix("http://testserver")
    return await client.post(path, data=form, headers={"x-twilio-signature": signature})


async def _shown(client: httpx.AsyncClient, d: Diary, appointment_id: str) -> dict[str, Any]:
    variables = {"practiceId": str(d.practice.id), "from": iso(d.at(7, 0)), "to": iso(d.at(8, 0))}
    result = await gql(client, BOARD, variables, token=d.token)
    assert result.errors == []
    (row,) = [a for a in result.data["schedule"]["appointments"] if a["id"] == appointment_id]
    return dict(row)


async def _events(practice_id: object, kind: str) -> list[DomainEvent]:
    return await DomainEvent.filter(practice_id=practice_id, type=kind).order_by("sequence")


async def test_a_no_reply_flags_the_appointment_with_its_event_and_audit_row(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _reminded(client)
    assert (await _shown(client, d, appointment_id))["needsCall"] is False
    answer = await _reply(client, "No sorry, can't make it", "SMno1")
    assert answer.status_code == 200
    row = await _shown(client, d, appointment_id)
    assert row["needsCall"] is True
    assert row["callReason"] == "DECLINED"
    assert row["status"] == "BOOKED"
    (reply,) = await Message.filter(direction="IN")
    assert reply.needs_call is True
    assert datetime.fromisoformat(row["callRequestedAt"]) >= reply.created_at.replace(microsecond=0)
    (event,) = await _events(d.practice.id, REQUESTED)
    assert str(event.entity_id) == appointment_id
    assert event.payload["needs_call"] is True
    assert event.payload["previous"]["needs_call"] is False
    assert event.payload["actor"] == {"kind": "SYSTEM"}
    assert "No sorry" not in str(event.payload)  # ids, times and codes only
    (audited,) = await AuditEvent.filter(action="REQUEST_CALL")
    assert audited.entity_id == appointment_id
    assert audited.patient_id == d.patient.id
    # The provider retries the same message: nothing more is flagged or announced.
    assert (await _reply(client, "No sorry, can't make it", "SMno1")).status_code == 200
    assert len(await _events(d.practice.id, REQUESTED)) == 1


@pytest.mark.parametrize(
    ("body", "reason"), [("Who is this?", "UNCLEAR"), ("cancel please", "DECLINED")]
)
async def test_the_reason_is_a_code_never_the_text(
    client: httpx.AsyncClient, body: str, reason: str
) -> None:
    d, appointment_id = await _reminded(client)
    assert (await _reply(client, body, "SMr1")).status_code == 200
    row = await _shown(client, d, appointment_id)
    assert (row["needsCall"], row["callReason"]) == (True, reason)


async def test_a_yes_confirms_and_flags_nothing_and_a_later_yes_clears_a_no(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _reminded(client)
    assert (await _reply(client, "No", "SMfirst")).status_code == 200
    assert (await _shown(client, d, appointment_id))["needsCall"] is True
    assert (await _reply(client, "Yes", "SMsecond")).status_code == 200
    row = await _shown(client, d, appointment_id)
    assert (row["status"], row["needsCall"], row["callReason"]) == ("CONFIRMED", False, None)
    assert row["callRequestedAt"] is None
    # The confirmation's own event shows the request cleared; no separate resolve event.
    (confirmed,) = await _events(d.practice.id, "appointment.status_changed")
    assert (confirmed.payload["previous"]["needs_call"], confirmed.payload["needs_call"]) == (
        True,
        False,
    )
    assert await _events(d.practice.id, RESOLVED) == []
    assert [m.needs_call for m in await Message.filter(direction="IN").order_by("created_at")] == [
        True,
        False,
    ]


async def test_a_plain_yes_never_flags(client: httpx.AsyncClient) -> None:
    d, appointment_id = await _reminded(client)
    assert (await _reply(client, "YES", "SMyes")).status_code == 200
    row = await _shown(client, d, appointment_id)
    assert (row["status"], row["needsCall"]) == ("CONFIRMED", False)
    assert await _events(d.practice.id, REQUESTED) == []


async def test_a_yes_to_a_cancelled_appointment_asks_for_a_call(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _reminded(client)
    cancelled = await gql(
        client, CANCEL, {"input": {"appointmentId": appointment_id, "reason": "Ill"}}, token=d.token
    )
    assert cancelled.errors == []
    assert (await _reply(client, "yes", "SMlate")).status_code == 200
    appointment = await Appointment.get(id=appointment_id)
    assert appointment.status == "CANCELLED"
    assert appointment.call_reason == "NOT_CONFIRMABLE"
    assert appointment.call_requested_at is not None


async def test_a_forged_reply_flags_nothing(client: httpx.AsyncClient) -> None:
    d, appointment_id = await _reminded(client)
    answer = await _reply(client, "NO", "SMforged", token="not-the-account-token")
    assert answer.status_code == 403
    assert (await _shown(client, d, appointment_id))["needsCall"] is False
    assert await _events(d.practice.id, REQUESTED) == []
    assert await AuditEvent.filter(action="REQUEST_CALL").count() == 0


async def test_staff_resolve_a_request_once_audited_and_announced(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _reminded(client)
    await _reply(client, "no", "SMno")
    variables = {"input": {"appointmentId": appointment_id}}
    done = await gql(client, RESOLVE, variables, token=d.token)
    assert done.errors == []
    assert done.data["resolveCallRequest"]["appointment"] == {
        "id": appointment_id,
        "status": "BOOKED",
        "needsCall": False,
        "callRequestedAt": None,
        "callReason": None,
    }
    assert (await _shown(client, d, appointment_id))["needsCall"] is False
    (event,) = await _events(d.practice.id, RESOLVED)
    assert (event.payload["previous"]["needs_call"], event.payload["needs_call"]) == (True, False)
    assert event.payload["actor"]["user_id"] == str(d.receptionist.id)
    (audited,) = await AuditEvent.filter(action="RESOLVE_CALL")
    assert audited.actor_user_id == d.receptionist.id
    assert audited.entity_id == appointment_id
    assert audited.patient_id == d.patient.id
    # Nothing waiting any more: a second click answers the same and records nothing.
    again = await gql(client, RESOLVE, variables, token=d.token)
    assert again.errors == []
    assert again.data["resolveCallRequest"]["appointment"]["needsCall"] is False
    assert len(await _events(d.practice.id, RESOLVED)) == 1
    assert await AuditEvent.filter(action="RESOLVE_CALL").count() == 1


async def test_confirming_after_the_call_clears_the_request(client: httpx.AsyncClient) -> None:
    d, appointment_id = await _reminded(client)
    await _reply(client, "not sure, can you ring me", "SMask")
    variables = {"input": {"appointmentId": appointment_id, "status": "CONFIRMED"}}
    done = await gql(client, STATUS, variables, token=d.token)
    assert done.errors == []
    assert done.data["setAppointmentStatus"]["appointment"] == {
        "status": "CONFIRMED",
        "needsCall": False,
        "callReason": None,
    }


async def test_only_staff_who_write_the_diary_can_clear_a_request(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _reminded(client)
    await _reply(client, "no", "SMno")
    other = await diary()
    foreign = await gql(
        client, RESOLVE, {"input": {"appointmentId": appointment_id}}, token=other.token
    )
    random = await gql(
        client,
        RESOLVE,
        {"input": {"appointmentId": "00000000-0000-4000-8000-0000000000ff"}},
        token=other.token,
    )
    assert foreign.codes == ["NOT_FOUND"]
    assert foreign.body == random.body  # another practice's appointment looks like no appointment
    org_admin = await factories.user(Role.ORG_ADMIN, d.practice)
    patient = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    for user in (org_admin, patient):
        refused = await gql(
            client,
            RESOLVE,
            {"input": {"appointmentId": appointment_id}},
            token=factories.access_token(user),
        )
        assert refused.codes == ["FORBIDDEN"]
    appointment = await Appointment.get(id=appointment_id)
    assert appointment.call_requested_at is not None
    assert await _events(d.practice.id, RESOLVED) == []
    assert await AuditEvent.filter(action="RESOLVE_CALL").count() == 0
