"""The transports against real servers: SMTP (aiosmtpd, STARTTLS + AUTH) and a local server
speaking Twilio's Messages API; safe template rendering."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from services.errors import ValidationFailed
from services.messaging import templates, twilio
from services.messaging.channels import (
    OutboundEmail,
    OutboundSms,
    PermanentSendError,
    TransientSendError,
)
from services.messaging.smtp import SmtpTransport
from services.messaging.twilio import TwilioTransport
from tests.messaging_support import SMTP_USER, TWILIO_TOKEN, sms_api, smtp_server

EMAIL = OutboundEmail(
    message_id="<m1@aescrm>",
    sender="Smile Dental <hello@smile.example>",
    to="pat@example.com",
    subject="Your appointment",
    text="Plain part",
    html="<p>HTML part</p>",
    headers={"List-Unsubscribe": "<https://x.example/u/1>"},
    reply_to="desk@smile.example",
)


async def test_email_goes_over_starttls_with_auth_in_two_parts(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        provider_id = await SmtpTransport(config).send(EMAIL)
    assert provider_id == "<m1@aescrm>"
    assert box.logins == [SMTP_USER]
    [got] = box.received
    assert got["Message-ID"] == "<m1@aescrm>"
    assert got["Reply-To"] == "desk@smile.example"
    assert got["List-Unsubscribe"] == "<https://x.example/u/1>"
    assert got.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in got.iter_parts()]
    assert parts == ["text/plain", "text/html"]


async def test_a_451_answer_is_transient_and_the_retry_is_delivered_once(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        box.defer = 1
        with pytest.raises(TransientSendError, match="451"):
            await SmtpTransport(config).send(EMAIL)
        assert box.received == []
        await SmtpTransport(config).send(EMAIL)
    assert len(box.received) == 1


async def test_wrong_smtp_password_is_not_delivered(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        bad = dataclasses.replace(config, password="nope")
        with pytest.raises(TransientSendError):
            await SmtpTransport(bad).send(EMAIL)
    assert box.received == []


async def test_sms_goes_to_the_provider_api() -> None:
    async with sms_api() as (api, config):
        sid = await TwilioTransport(config).send(OutboundSms("+447700900123", "Hi", None))
    assert sid.startswith("SM")
    assert api.sent == [{"To": "+447700900123", "From": "+447700900001", "Body": "Hi"}]


async def test_sms_provider_errors_are_sorted_transient_or_permanent() -> None:
    async with sms_api() as (api, config):
        api.fail_next = 1
        with pytest.raises(TransientSendError):
            await TwilioTransport(config).send(OutboundSms("+447700900123", "Hi", None))
        with pytest.raises(PermanentSendError, match="21211"):
            await TwilioTransport(config).send(OutboundSms("07700 900123", "Hi", None))
    assert api.sent == []


def test_twilio_signature_round_trip_and_forgeries_refused() -> None:
    url = "https://crm.example/webhooks/sms/twilio"
    params = [("From", "+447700900123"), ("Body", "YES"), ("MessageSid", "SM1")]
    good = twilio.signature(TWILIO_TOKEN, url, params)
    assert twilio.verify(TWILIO_TOKEN, url, params, good)
    assert not twilio.verify(TWILIO_TOKEN, url, [*params[:1], ("Body", "NO"), params[2]], good)
    assert not twilio.verify(TWILIO_TOKEN, url + "?x=1", params, good)
    assert not twilio.verify("another-token", url, params, good)
    assert not twilio.verify(TWILIO_TOKEN, url, params, None)
    assert not twilio.verify(TWILIO_TOKEN, url, params, "")


def test_twilio_signature_matches_the_documented_scheme() -> None:
    """Twilio's published example (webhooks security docs)."""
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+12349013030",
        "Digits": "1234",
        "From": "+12349013030",
        "To": "+18005551212",
    }
    assert twilio.signature("12345", url, params.items()) == "0/KCTR6DLpKmkAf8muzZqo1nDgQ="


def test_patient_values_are_data_never_template_source() -> None:
    source = templates.default_source("appointment_confirmation")
    hostile = "{{ 7*7 }}{% for x in ().__class__.__base__.__subclasses__() %}{{x}}{% endfor %}"
    values = {
        "patient_name": hostile + "<script>alert(1)</script>",
        "practice_name": "Smile & Co",
        "appointment_date": "Tuesday 8 December 2026",
        "appointment_time": "09:30",
        "practitioner_name": "Dr Who",
        "appointment_type": "Examination",
    }
    out = templates.render(source, values)
    assert hostile + "<script>" in out.text
    assert "49" not in out.text
    assert "subclasses" in out.text
    assert out.html is not None
    assert "<script>" not in out.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out.html
    assert "Smile &amp; Co" in out.html


def test_a_saved_template_may_use_only_its_fields_and_not_reach_python() -> None:
    with pytest.raises(ValidationFailed, match="Unknown template field: secret_key"):
        templates.check("appointment_reminder", "text", "Hi {{ secret_key }}")
    with pytest.raises(ValidationFailed, match="does not parse"):
        templates.check("appointment_reminder", "text", "Hi {{ patient_name ")
    templates.check("appointment_reminder", "text", "Hi {{ patient_name }}")
    sneaky = templates.Source("appointment_reminder", 1, "s", "{{ ''.__class__ }}", None, None)
    with pytest.raises(ValidationFailed):
        templates.render(sneaky, {})
