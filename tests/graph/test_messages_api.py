"""Messages over HTTP: ``sentMessages`` (tenancy, scope, the development channel's bodies), the
SMS provider's signed webhooks (forgeries refused, YES confirms, status callbacks), one-click
unsubscribe, and practice templates."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from db.models import Appointment, ConsentPurpose, ConsentRecord, Message
from db.uow import unit_of_work
from graph.settings import Settings
from services.consent import ledger
from services.consent.ledger import CaptureMethod, Decision
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import headers, patient_messages, twilio
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.factories import gql
from tests.graph.test_schedule_booking import BOOK, booking
from tests.messaging_support import TWILIO_SID, TWILIO_TOKEN, contactable, practice_messages
from tests.scheduling_fixtures import Diary, diary, iso

catalogue.load()  # the message handlers are registered wherever jobs run

SENT = """
query Sent($practiceId: ID!, $dev: Boolean) {
  sentMessages(practiceId: $practiceId, developmentOnly: $dev) {
    edges { node {
      purpose channel transport status statusReason addressMasked subject body templateName
      templateVersion needsCall direction patientId
    } }
  }
}"""
SAVE_TEMPLATE = """
mutation T($input: SaveMessageTemplateInput!) {
  saveMessageTemplate(input: $input) { name version }
}"""
REPLY_URL = "http://testserver/webhooks/sms/twilio"
STATUS_URL = "http://testserver/webhooks/sms/twilio/status"
MOBILE = "+447700900123"


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        tmp_path,
        twilio_account_sid=TWILIO_SID,
        twilio_auth_token=TWILIO_TOKEN,
        twilio_api_base="http://127.0.0.1:9",  # never reached: the practices keep their SMS
    )


async def _booked(client: httpx.AsyncClient, d: Diary) -> str:
    result = await gql(client, BOOK, booking(d, iso(d.at(7, 10))), token=d.token)
    assert result.errors == []
    return str(result.data["bookAppointment"]["appointment"]["id"])


async def _sent_reminder(client: httpx.AsyncClient) -> tuple[Diary, str]:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com", mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    appointment_id = await _booked(client, d)
    far = datetime(2099, 1, 1, tzinfo=UTC)
    while await run_due(now=far):
        pass
    return d, appointment_id


def _signed(url: str, form: dict[str, str], token: str = TWILIO_TOKEN) -> dict[str, str]:
    return {"x-twilio-signature": twilio.signature(token, url, form.items())}


async def _post(
    client: httpx.AsyncClient, url: str, form: dict[str, str], sig: dict[str, str]
) -> httpx.Response:
    return await client.post(url.removeprefix("http://testserver"), data=form, headers=sig)


async def test_sent_messages_show_what_the_development_channel_kept(
    client: httpx.AsyncClient,
) -> None:
    d, _ = await _sent_reminder(client)
    result = await gql(client, SENT, {"practiceId": str(d.practice.id), "dev": True}, token=d.token)
    assert result.errors == []
    nodes = [e["node"] for e in result.data["sentMessages"]["edges"]]
    kinds = {n["purpose"]: n for n in nodes}
    assert set(kinds) == {"APPOINTMENT_CONFIRMATION", "APPOINTMENT_REMINDER"}
    confirmation = kinds["APPOINTMENT_CONFIRMATION"]
    assert confirmation["channel"] == "EMAIL"
    assert confirmation["transport"] == "development"
    assert confirmation["status"] == "SENT"
    assert confirmation["addressMasked"] == "a***@example.com"
    assert confirmation["subject"].startswith("Your appointment at")
    assert "Examination" in confirmation["body"]
    assert kinds["APPOINTMENT_REMINDER"]["channel"] == "SMS"
    assert "Reply YES" in kinds["APPOINTMENT_REMINDER"]["body"]


async def test_sent_messages_of_another_practice_look_like_a_random_one(
    client: httpx.AsyncClient,
) -> None:
    d, _ = await _sent_reminder(client)
    other = await diary()
    result = await gql(client, SENT, {"practiceId": str(d.practice.id)}, token=other.token)
    assert result.codes == ["NOT_FOUND"]
    assert result.data["sentMessages"] is None
    portal = await factories.user(Role.PATIENT, d.practice, patient_id=d.patient.id)
    mine = await gql(
        client, SENT, {"practiceId": str(d.practice.id)}, token=factories.access_token(portal)
    )
    assert mine.codes in (["FORBIDDEN"], ["NOT_FOUND"])


async def test_forged_or_unsigned_sms_replies_change_nothing(client: httpx.AsyncClient) -> None:
    _d, appointment_id = await _sent_reminder(client)
    before = await Message.all().count()
    form = {"From": MOBILE, "Body": "YES", "MessageSid": "SMreply1", "To": "+447700900001"}
    forged = [
        {},
        {"x-twilio-signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        _signed(REPLY_URL, form, token="not-the-account-token"),
        _signed(REPLY_URL, {**form, "Body": "NO"}),  # signed another body
        _signed("http://evil.example/webhooks/sms/twilio", form),  # signed another URL
    ]
    for headers_ in forged:
        answer = await _post(client, REPLY_URL, form, headers_)
        assert answer.status_code == 403
    status = {"MessageSid": "SMx", "MessageStatus": "delivered"}
    assert (await _post(client, STATUS_URL, status, {})).status_code == 403
    assert await Message.all().count() == before
    assert (await Appointment.get(id=appointment_id)).status == "BOOKED"


async def test_a_signed_yes_confirms_and_a_no_is_flagged_for_a_call(
    client: httpx.AsyncClient,
) -> None:
    d, appointment_id = await _sent_reminder(client)
    form = {"From": MOBILE, "Body": " yes ", "MessageSid": "SMreply1", "To": "+447700900001"}
    answer = await _post(client, REPLY_URL, form, _signed(REPLY_URL, form))
    assert answer.status_code == 200
    assert answer.text.endswith("<Response></Response>")
    assert (await Appointment.get(id=appointment_id)).status == "CONFIRMED"
    again = await _post(client, REPLY_URL, form, _signed(REPLY_URL, form))  # provider retry
    assert again.status_code == 200
    [reply] = await Message.filter(direction="IN")
    assert reply.needs_call is False
    assert reply.status == "RECEIVED"
    no = {"From": MOBILE, "Body": "No sorry, can't make it", "MessageSid": "SMreply2"}
    assert (await _post(client, REPLY_URL, no, _signed(REPLY_URL, no))).status_code == 200
    flagged = await Message.get(provider_message_id="SMreply2")
    assert flagged.needs_call is True
    assert flagged.patient_id == d.patient.id
    result = await gql(client, SENT, {"practiceId": str(d.practice.id)}, token=d.token)
    bodies = [e["node"]["body"] for e in result.data["sentMessages"]["edges"]]
    assert "No sorry, can't make it" in bodies


async def test_delivery_status_callbacks_move_a_message_forward_only(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    await _booked(client, d)
    reminder = await Message.get(purpose="APPOINTMENT_REMINDER")
    await Message.filter(id=reminder.id).update(status="SENT", provider_message_id="SMout1")
    delivered = {"MessageSid": "SMout1", "MessageStatus": "delivered"}
    assert (await _post(client, STATUS_URL, delivered, _signed(STATUS_URL, delivered))).is_success
    late = {"MessageSid": "SMout1", "MessageStatus": "sent"}
    assert (await _post(client, STATUS_URL, late, _signed(STATUS_URL, late))).is_success
    row = await Message.get(id=reminder.id)
    assert row.status == "DELIVERED"
    assert row.delivered_at is not None


async def test_one_click_unsubscribe_withdraws_marketing_consent(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    principal = await d.principal()
    grant = Decision(ConsentPurpose.MARKETING_EMAIL, True, "v1", CaptureMethod.RECEPTION)
    await ledger.record(principal, patient_id=d.patient.id, decision=grant)
    async with unit_of_work() as uow:
        await patient_messages.marketing(uow.connection, d.patient, "EMAIL", "spring")
    message = await Message.get(purpose="MARKETING")
    path = headers.UNSUBSCRIBE_PATH
    forged = f"{message.id}.AAAAAAAAAAAAAAAAAAAAAAAA"
    body = {"List-Unsubscribe": "One-Click"}
    assert (await client.post(path + forged, data=body)).status_code == 404
    assert (await client.get(path + headers.token(message.id))).status_code == 200
    assert (await client.post(path + headers.token(message.id), data=body)).status_code == 200
    latest = await ConsentRecord.filter(patient_id=d.patient.id).order_by("-seq").first()
    assert latest is not None
    assert latest.purpose == "MARKETING_EMAIL"
    assert latest.granted is False


async def test_practice_templates_are_checked_versioned_and_used(
    client: httpx.AsyncClient,
) -> None:
    d = await diary()
    admin = factories.access_token(await factories.user(Role.PRACTICE_ADMIN, d.practice))
    await contactable(d.patient, email_address="alice@example.com")
    await practice_messages(d.practice.id, development_channel=True)
    base: dict[str, Any] = {"practiceId": str(d.practice.id), "name": "appointment_confirmation"}
    bad = {**base, "subject": "Hi", "text": "{{ patient.__class__ }} {{ secret_key }}"}
    refused = await gql(client, SAVE_TEMPLATE, {"input": bad}, token=admin)
    assert refused.codes == ["BAD_USER_INPUT"]
    assert refused.errors[0]["extensions"]["field"] == "text"
    desk = await gql(client, SAVE_TEMPLATE, {"input": {**bad, "text": "x"}}, token=d.token)
    assert desk.codes == ["FORBIDDEN"]
    good = {
        **base,
        "subject": "See you soon",
        "text": "Dear {{ patient_name }}: {{ appointment_time }}",
    }
    for version in (1, 2):
        saved = await gql(client, SAVE_TEMPLATE, {"input": good}, token=admin)
        assert saved.data["saveMessageTemplate"] == {
            "name": "appointment_confirmation",
            "version": version,
        }
    await _booked(client, d)
    while await run_due(now=datetime.now(UTC)):
        pass
    result = await gql(client, SENT, {"practiceId": str(d.practice.id), "dev": True}, token=d.token)
    [confirmation] = [
        e["node"]
        for e in result.data["sentMessages"]["edges"]
        if e["node"]["purpose"] == "APPOINTMENT_CONFIRMATION"
    ]
    assert confirmation["templateVersion"] == 2
    assert confirmation["subject"] == "See you soon"
    assert confirmation["body"] == f"Dear {d.patient.first_name}: {d.at(7, 10):%H:%M}"
