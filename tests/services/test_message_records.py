"""The message record: exported with the patient's data, erased with their contact details, and
the staff email contract h/staff codes against."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from uuid import uuid4

import pytest

from db.models import Message
from db.uow import unit_of_work
from services.consent import anonymise, export
from services.errors import ValidationFailed
from services.jobs import catalogue
from services.jobs.runner import run_due
from services.messaging import channels, patient_messages
from services.messaging.staff_mail import send_staff_email
from tests.messaging_support import Mailbox, contactable, practice_messages, smtp_server
from tests.scheduling_fixtures import diary

catalogue.load()
KEYS = ("name", "link", "expires_at")


@pytest.fixture
def mailbox(db: str, tmp_path: Path) -> Iterator[Mailbox]:
    with smtp_server(tmp_path) as (box, config):
        channels.configure(channels.MessagingConfig(smtp=config, production=True))
        yield box
    channels.configure(channels.MessagingConfig())


async def _drain() -> None:
    while await run_due(now=datetime.now(UTC)):
        pass


async def test_staff_email_is_recorded_encrypted_and_sent(mailbox: Mailbox) -> None:
    d = await diary()
    link = "https://crm.example/invite#token-secret-123"
    await send_staff_email(
        to="new.dentist@example.com",
        template="staff_invitation",
        context={"name": "Dr New", "link": link, "expires_at": "9 December 2026 10:00"},
        practice_id=d.practice.id,
    )
    [row] = await Message.all()
    assert row.purpose == "STAFF_INVITATION"
    assert row.patient_id is None
    assert row.address_masked == "n***@example.com"
    assert row.context is not None
    assert "token-secret" not in row.context  # encrypted at rest
    await _drain()
    [got] = mailbox.received
    assert got["To"] == "new.dentist@example.com"
    assert link in got.get_body(("plain",)).get_content()
    assert (await Message.get(id=row.id)).status == "SENT"


@pytest.mark.parametrize(
    ("to", "template", "context", "field"),
    [
        ("not-an-email", "password_reset", {"name": "a", "link": "b", "expires_at": "c"}, "email"),
        ("a@example.com", "appointment_reminder", {"name": "a"}, "template"),
        ("a@example.com", "password_reset", {"name": "a", "link": "b"}, "context"),
        ("a@example.com\r\nBcc: x@evil.test", "email_change", dict.fromkeys(KEYS, "x"), "email"),
    ],
)
async def test_bad_staff_email_requests_record_nothing(
    db: str, to: str, template: str, context: dict[str, str], field: str
) -> None:
    with pytest.raises(ValidationFailed) as refused:
        await send_staff_email(to=to, template=template, context=context, practice_id=None)
    assert refused.value.field == field
    assert await Message.all().count() == 0


async def test_messages_are_exported_and_erased_with_contact_details(db: str) -> None:
    d = await diary()
    await contactable(d.patient, email_address="alice@example.com")
    await practice_messages(d.practice.id, development_channel=True)
    async with unit_of_work() as uow:
        await patient_messages.legal_notice(
            uow.connection,
            d.patient,
            "DSR_NOTICE",
            uuid4(),
            {"request_kind": "access", "request_status": "received", "due_date": "7 January 2027"},
        )
    await _drain()
    doc = await export.document(d.patient.id)
    [row] = doc["records"]["message"]
    assert row["to_address"] == "alice@example.com"  # decrypted for the patient
    assert "Your access request is received" in row["rendered_text"]
    assert "to_index" not in row
    assert row["status"] == "SENT"
    assert row["contact_purpose"] == "LEGAL"
    async with unit_of_work() as uow:
        await anonymise.erase_contact(d.patient, uow.connection)
    assert await Message.filter(patient_id=d.patient.id).count() == 0
