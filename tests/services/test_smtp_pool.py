"""SMTP sessions kept open between messages, against a real server (aiosmtpd, STARTTLS + AUTH).

Each test closes its transport before the server stops, so no session is left open.
"""

from __future__ import annotations

import asyncio
import dataclasses
import email
import email.policy
from pathlib import Path

import pytest

from services.messaging.channels import OutboundEmail, TransientSendError
from services.messaging.smtp import SmtpTransport, build
from tests.messaging_support import SMTP_USER, smtp_server


def _email(n: int, **changes: object) -> OutboundEmail:
    email_ = OutboundEmail(
        message_id=f"<m{n}@aescrm>",
        sender="Smile Dental <hello@smile.example>",
        to=f"pat{n}@example.com",
        subject="Your appointment",
        text="Plain part",
        html="<p>HTML part</p>",
    )
    return dataclasses.replace(email_, **changes)  # type: ignore[arg-type]


async def test_one_session_carries_many_messages_with_one_login(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        transport = SmtpTransport(dataclasses.replace(config, messages_per_connection=100))
        try:
            for n in range(5):
                await transport.send(_email(n))
        finally:
            await transport.close()
    assert [got["Message-ID"] for got in box.received] == [f"<m{n}@aescrm>" for n in range(5)]
    assert [got["To"] for got in box.received] == [f"pat{n}@example.com" for n in range(5)]
    assert transport.pool.opened == 1
    assert box.logins == [SMTP_USER]


async def test_a_session_is_replaced_after_its_message_allowance(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        transport = SmtpTransport(dataclasses.replace(config, messages_per_connection=2))
        try:
            for n in range(5):
                await transport.send(_email(n))
        finally:
            await transport.close()
    assert len(box.received) == 5
    assert transport.pool.opened == 3
    assert box.logins == [SMTP_USER] * 3


async def test_concurrent_sends_share_at_most_pool_size_sessions(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        transport = SmtpTransport(
            dataclasses.replace(config, messages_per_connection=100, pool_size=2)
        )
        try:
            await asyncio.gather(*(transport.send(_email(n)) for n in range(12)))
        finally:
            await transport.close()
    assert sorted(got["Message-ID"] for got in box.received) == sorted(
        f"<m{n}@aescrm>" for n in range(12)
    )
    assert transport.pool.opened <= 2


async def test_a_session_the_server_dropped_is_not_reused(tmp_path: Path) -> None:
    with smtp_server(tmp_path, timeout=0.3) as (box, config):  # the server drops idle clients
        transport = SmtpTransport(dataclasses.replace(config, messages_per_connection=100))
        try:
            await transport.send(_email(1))
            await asyncio.sleep(0.8)
            await transport.send(_email(2))
        finally:
            await transport.close()
    assert [got["Message-ID"] for got in box.received] == ["<m1@aescrm>", "<m2@aescrm>"]
    assert transport.pool.opened == 2


async def test_an_idle_session_past_its_time_is_closed_not_reused(tmp_path: Path) -> None:
    with smtp_server(tmp_path) as (box, config):
        transport = SmtpTransport(
            dataclasses.replace(config, messages_per_connection=100, idle_seconds=0.2)
        )
        try:
            await transport.send(_email(1))
            await asyncio.sleep(0.4)
            await transport.send(_email(2))
        finally:
            await transport.close()
    assert len(box.received) == 2
    assert transport.pool.opened == 2


async def test_a_deferred_message_closes_its_session_and_the_retry_opens_another(
    tmp_path: Path,
) -> None:
    with smtp_server(tmp_path) as (box, config):
        transport = SmtpTransport(dataclasses.replace(config, messages_per_connection=100))
        try:
            box.defer = 1
            with pytest.raises(TransientSendError, match="451"):
                await transport.send(_email(1))
            await transport.send(_email(1))
        finally:
            await transport.close()
    assert [got["Message-ID"] for got in box.received] == ["<m1@aescrm>"]
    assert transport.pool.opened == 2


def test_the_message_is_seven_bit_clean_and_reads_back_as_written() -> None:
    raw = build(
        _email(
            1,
            sender="=?utf-8?q?Zo=C3=AB_Dental?= <hello@smile.example>",
            subject="Your £20 deposit, Zoë",
            text="Dear Zoë,\nyour deposit of £20 is paid.\n",
            html="<p>Dear Zoë, your deposit of £20 is paid.</p>",
            headers={"List-Unsubscribe": f"<https://x.example/u/{'x' * 120}>"},
            reply_to="desk@smile.example",
        )
    )
    assert max(raw) < 128  # no 8BITMIME or SMTPUTF8 needed
    assert b"\n" not in raw.replace(b"\r\n", b"")  # SMTP's line ends
    got = email.message_from_bytes(raw, policy=email.policy.default)
    assert got["Subject"] == "Your £20 deposit, Zoë"
    assert got["From"].addresses[0].display_name == "Zoë Dental"
    assert got["Message-ID"] == "<m1@aescrm>"
    assert got["Reply-To"] == "desk@smile.example"
    assert got["List-Unsubscribe"] == f"<https://x.example/u/{'x' * 120}>"  # not folded
    assert got["Date"] is not None
    assert got.get_content_type() == "multipart/alternative"
    plain, html = got.iter_parts()
    assert plain.get_content().replace("\r\n", "\n") == "Dear Zoë,\nyour deposit of £20 is paid.\n"
    assert html.get_content_type() == "text/html"
    assert "£20" in html.get_content()


def test_a_message_without_html_is_plain_text_only() -> None:
    got = email.message_from_bytes(build(_email(1, html=None)), policy=email.policy.default)
    assert got.get_content_type() == "text/plain"
    assert got.get_content() == "Plain part"
