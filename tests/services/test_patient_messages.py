"""Patient messages end to end on both databases: booked through the scheduling service,
queued in the booking's transaction, sent by the job runner to a real SMTP server or the local
SMS API, with the consent gate asked at send time."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from uuid import UUID
from zoneinfo import ZoneInfo

import pytest

from db.models import Appointment, ConsentPurpose, Message
from db.uow import unit_of_work
from services.consent import ledger
from services.consent.ledger import CaptureMethod, Decision
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import channels, delivery, patient_messages
from services.scheduling import booking
from services.scheduling.booking import BookingRequest
from tests.messaging_support import (
    Mailbox,
    contactable,
    practice_messages,
    sms_api,
    smtp_server,
)
from tests.scheduling_fixtures import Diary, diary

catalogue.load()  # the message handlers are registered wherever jobs run

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def mailbox(db: str, tmp_path: Path) -> Iterator[Mailbox]:
    with smtp_server(tmp_path) as (box, config):
        channels.configure(channels.MessagingConfig(smtp=config, production=True))
        yield box
    channels.configure(channels.MessagingConfig())


async def _book(d: Diary, starts_at: datetime) -> Appointment:
    principal = await d.principal()
    request = BookingRequest(
        practice_id=d.practice.id,
        patient_id=d.patient.id,
        practitioner_id=d.dentist.id,
        appointment_type_id=d.exam.id,
        starts_at=starts_at,
    )
    return await booking.book(principal, request=request)


async def _messages(purpose: str | None = None) -> list[Message]:
    query = Message.all().order_by("created_at")
    if purpose is not None:
        query = query.filter(purpose=purpose)
    return await query


async def _drain(now: datetime | None = None) -> None:
    while await run_due(now=now or datetime.now(UTC)):
        pass


async def test_booking_sends_a_confirmation_to_the_smtp_server(mailbox: Mailbox) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await practice_messages(d.practice.id, sender_name="Smile Dental", sender_email="hi@smile.test")
    appointment = await _book(d, d.at(7, 10))
    [confirmation] = await _messages("APPOINTMENT_CONFIRMATION")
    assert confirmation.status == "QUEUED"
    assert confirmation.subject_id == appointment.id
    await _drain()
    [got] = mailbox.received
    assert got["To"] == "alice@example.com"
    assert got["From"] == "Smile Dental <hi@smile.test>"
    assert "List-Unsubscribe" not in got  # a service message
    text = got.get_body(("plain",)).get_content()
    assert "Examination" in text
    assert d.at(7, 10).strftime("%H:%M") in text
    sent = await Message.get(id=confirmation.id)
    assert sent.status == "SENT"
    assert sent.transport == "smtp"
    assert sent.provider_message_id == got["Message-ID"]
    assert sent.address_masked == "a***@example.com"
    assert sent.to_address is not None
    assert "alice" not in sent.to_address
    await _drain()
    assert len(mailbox.received) == 1  # the job does not send twice


async def test_a_rolled_back_booking_queues_nothing(mailbox: Mailbox) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await _book(d, d.at(7, 10))
    with pytest.raises(Exception):  # noqa: B017, PT011 - the double booking's own error
        await _book(d, d.at(7, 10))
    assert len(await _messages("APPOINTMENT_CONFIRMATION")) == 1


async def test_a_451_answer_is_retried_and_the_email_arrives_once(mailbox: Mailbox) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    mailbox.defer = 1
    await _book(d, d.at(7, 10))
    now = datetime.now(UTC)
    await run_due(now=now)
    [message] = await _messages("APPOINTMENT_CONFIRMATION")
    assert message.status == "QUEUED"
    assert "451" in (message.status_reason or "")
    assert mailbox.received == []
    await _drain(now + timedelta(hours=1))  # past any backoff
    assert len(mailbox.received) == 1
    assert (await Message.get(id=message.id)).status == "SENT"
    await _drain(now + timedelta(hours=2))
    assert len(mailbox.received) == 1


async def test_template_injection_in_a_patient_name_is_rendered_as_text(mailbox: Mailbox) -> None:
    d = await diary()
    d.patient.first_name = "{{ 7*7 }}<img src=x onerror=alert(1)>"
    await d.patient.save()
    await contactable(d.patient, email_address="alice@example.com")
    await _book(d, d.at(7, 10))
    await _drain()
    [got] = mailbox.received
    text = got.get_body(("plain",)).get_content()
    html = got.get_body(("html",)).get_content()
    assert "{{ 7*7 }}<img src=x onerror=alert(1)>" in text
    assert "Hello 49" not in text  # the name was not evaluated (other numbers are random)
    assert "<img" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


async def test_withdrawing_marketing_consent_stops_a_queued_campaign(mailbox: Mailbox) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await practice_messages(d.practice.id)  # no quiet hours: marketing would wait for them
    principal = await d.principal()
    grant = Decision(ConsentPurpose.MARKETING_EMAIL, True, "v1", CaptureMethod.RECEPTION)
    await ledger.record(principal, patient_id=d.patient.id, decision=grant)
    async with unit_of_work() as uow:
        await patient_messages.marketing(uow.connection, d.patient, "EMAIL", "spring")
        await patient_messages.marketing(uow.connection, d.patient, "EMAIL", "summer")
    [spring, summer] = await _messages("MARKETING")
    await delivery.deliver(spring.id)  # the first goes while consent stands
    withdraw = dataclasses.replace(grant, granted=False)
    await ledger.record(principal, patient_id=d.patient.id, decision=withdraw, withdrawal=True)
    await _drain()
    [got] = mailbox.received
    assert got["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert got["List-Unsubscribe"].startswith("<http")
    assert str(spring.id) in got["List-Unsubscribe"]
    stopped = await Message.get(id=summer.id)
    assert stopped.status == "SUPPRESSED"
    assert stopped.status_reason == "No current MARKETING_EMAIL consent."


async def test_a_service_message_is_not_marketing_but_a_declined_channel_stops_it(
    mailbox: Mailbox,
) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await _book(d, d.at(7, 10))  # no marketing consent: a confirmation still goes
    await _drain()
    assert len(mailbox.received) == 1
    from db.models import ContactPreference

    await ContactPreference.create(practice_id=d.practice.id, patient_id=d.patient.id, email=False)
    await _book(d, d.at(8, 10))
    await _drain()
    assert len(mailbox.received) == 1
    latest = (await _messages("APPOINTMENT_CONFIRMATION"))[-1]
    assert latest.status == "SUPPRESSED"
    assert latest.status_reason == "The patient does not accept this channel."


async def test_reminders_fire_at_local_wall_time_across_the_clock_change(db: str) -> None:
    """Europe/London springs forward on 28 March 2027: 24 hours before 09:00 BST on the 28th is
    09:00 GMT on the 27th (23 real hours); falls back on 31 October 2027 (25 real hours)."""
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    principal = await d.principal()
    booked_at = datetime(2027, 3, 20, 12, tzinfo=UTC)
    for local_start, expected_utc in (
        (datetime(2027, 3, 28, 9, tzinfo=LONDON), datetime(2027, 3, 27, 9, tzinfo=UTC)),
        (datetime(2027, 10, 31, 9, tzinfo=LONDON), datetime(2027, 10, 30, 8, tzinfo=UTC)),
    ):
        appointment = await Appointment.create(
            practice_id=d.practice.id,
            patient_id=d.patient.id,
            practitioner_id=d.dentist.id,
            room_id=d.room.id,
            appointment_type_id=d.exam.id,
            starts_at=local_start,
            ends_at=local_start + timedelta(minutes=30),
            source="RECEPTION",
            booked_by_id=principal.user_id,
        )
        async with unit_of_work() as uow:
            await patient_messages.after_booking(
                uow.connection, appointment, d.patient, LONDON, booked_at, confirm=False
            )
        [reminder] = await Message.filter(subject_id=appointment.id)
        assert reminder.scheduled_for == expected_utc
        assert reminder.channel == "SMS"
        await _drain(expected_utc - timedelta(minutes=1))
        assert (await Message.get(id=reminder.id)).status == "QUEUED"
        await _drain(expected_utc)
        sent = await Message.get(id=reminder.id)
        assert sent.status == "SENT"
        assert sent.transport == "development"
        assert sent.address_masked == "+44*******123"


async def test_a_moved_appointments_old_reminder_does_not_go(db: str) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    appointment = await _book(d, d.at(7, 10))
    await booking.reschedule(
        await d.principal(), appointment_id=appointment.id, starts_at=d.at(9, 11)
    )
    old, new = await Message.filter(purpose="APPOINTMENT_REMINDER").order_by("scheduled_for")
    assert old.scheduled_for < new.scheduled_for
    await _drain(datetime.now(UTC) + timedelta(days=30))
    assert (await Message.get(id=old.id)).status == "SUPPRESSED"
    assert (await Message.get(id=old.id)).status_reason == "The appointment was moved."
    assert (await Message.get(id=new.id)).status == "SENT"


async def test_a_cancelled_appointments_reminder_does_not_go(db: str) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, development_channel=True)
    appointment = await _book(d, d.at(7, 10))
    await booking.cancel(await d.principal(), appointment_id=appointment.id, reason="Unwell")
    await _drain(datetime.now(UTC) + timedelta(days=30))
    [reminder] = await Message.filter(purpose="APPOINTMENT_REMINDER")
    assert reminder.status == "SUPPRESSED"
    assert reminder.status_reason == "The appointment was cancelled."


async def test_quiet_hours_defer_an_sms_to_their_end(db: str) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(
        d.practice.id, development_channel=True, quiet_start_minute=21 * 60, quiet_end_minute=8 * 60
    )
    appointment = await _book(d, d.at(7, 10))
    [reminder] = await Message.filter(purpose="APPOINTMENT_REMINDER")
    late = datetime(2026, 12, 10, 22, 30, tzinfo=LONDON)
    outcome = await delivery.deliver(reminder.id, now=late)
    assert outcome.status == "QUEUED"
    assert outcome.defer_until == datetime(2026, 12, 11, 8, 0, tzinfo=LONDON)
    assert (await Message.get(id=reminder.id)).status == "QUEUED"
    assert appointment.id == reminder.subject_id


async def test_sms_goes_through_the_provider_api(db: str) -> None:
    d = await diary()
    await contactable(d.patient, mobile="07700 900123")
    await practice_messages(d.practice.id, sms_from="+447700900999")
    async with sms_api() as (api, config):
        channels.configure(channels.MessagingConfig(twilio=config, production=True))
        try:
            await _book(d, d.at(7, 10))
            [reminder] = await Message.filter(purpose="APPOINTMENT_REMINDER")
            await delivery.deliver(reminder.id)
        finally:
            channels.configure(channels.MessagingConfig())
    [sent] = api.sent
    assert sent["To"] == "+447700900123"
    assert sent["From"] == "+447700900999"
    assert "Reply YES to confirm" in sent["Body"]
    row = await Message.get(id=reminder.id)
    assert row.status == "SENT"
    assert row.provider_message_id == "SM" + "0" * 31 + "1"
    assert UUID(str(row.subject_id))


async def test_a_message_whose_last_attempt_fails_is_failed_not_left_queued(
    mailbox: Mailbox,
) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await practice_messages(d.practice.id, reminder_hours=0)
    mailbox.defer = 1000
    await _book(d, d.at(7, 10))
    at = datetime.now(UTC)
    for _ in range(12):  # more runs than attempts: the job goes DEAD after its eighth
        at += timedelta(days=1)
        await run_due(now=at)
    [message] = await _messages("APPOINTMENT_CONFIRMATION")
    assert message.status == "FAILED"
    assert "451" in (message.status_reason or "")
    assert mailbox.received == []
