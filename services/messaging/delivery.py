"""Sending one recorded message: the work of the ``messages.send`` job.

Order matters for "never twice": a message not QUEUED (or SENDING after a crash) is done and
is left alone; the gate is asked now; the transport and (for email) the Message-ID are written
before the send, in the transaction that read the message; the provider's id and SENT are
written by one statement after it. A transient failure
leaves the message QUEUED with the reason and raises, so the job runner retries it.

Every read before the send (message, practice, settings, patient, visit, consent, template)
shares one transaction: outside one, each statement takes a pooled connection and asyncpg
resets it on release, which cost more than the reads themselves (bench/reminders.py, py-spy).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import formataddr
from typing import Any
from uuid import UUID

from db.models import Message, MessageStatus
from db.queries import messages as queries
from db.uow import write_transaction
from services import runtime
from services.errors import ValidationFailed
from services.messaging import addresses, channels, content, gate, records, templates
from services.messaging.channels import (
    OutboundEmail,
    OutboundSms,
    PermanentSendError,
    TransientSendError,
)
from services.messaging.development import DEVELOPMENT, stored
from services.messaging.headers import marketing_headers, unsubscribe_url

log = logging.getLogger("aescrm.messages")
DONE = frozenset({"SENT", "DELIVERED", "FAILED", "SUPPRESSED", "RECEIVED"})


@dataclass(frozen=True, slots=True)
class Outcome:
    status: str
    reason: str = ""
    defer_until: datetime | None = None


async def _finish(message: Message, status: MessageStatus, reason: str, **extra: object) -> Outcome:
    now = datetime.now(UTC)
    values: dict[str, object] = {"status": status.value, "status_reason": reason[:200] or None}
    if status is MessageStatus.FAILED:
        values["failed_at"] = now
    values.update(extra)
    await queries.update(message.id, None, **values)
    return Outcome(status.value, reason)


async def give_up(message_id: UUID, reason: str) -> None:
    """The last attempt failed too: the message is FAILED with the last reason."""
    message = await queries.by_id(message_id)
    if message is not None and message.status not in DONE:
        await _finish(message, MessageStatus.FAILED, reason)


async def _source(message: Message) -> templates.Source:
    name = message.template_name or ""
    if message.template_version and message.practice_id is not None:
        row = await queries.template(UUID(str(message.practice_id)), name, message.template_version)
        if row is not None:
            return templates.Source(
                name, row.version, row.subject, row.text_body, row.html_body, row.sms_body
            )
    return templates.default_source(name)


def _sender(facts: content.Facts) -> tuple[str, str | None]:
    config = channels.config()
    settings = facts.settings
    if settings is not None and settings.sender_email:
        name = settings.sender_name or (facts.practice.name if facts.practice else "")
        return formataddr((name, settings.sender_email)), settings.reply_to
    return config.mail_from, settings.reply_to if settings else None


async def deliver(message_id: UUID, *, now: datetime | None = None) -> Outcome:
    """Send the message if it is still due; the outcome (QUEUED + defer_until: wait)."""
    now = now or datetime.now(UTC)
    async with write_transaction():  # the reads and the claim on one connection; never the send
        prepared = await _prepare(message_id, now)
        claimed = prepared if isinstance(prepared, Outcome) else await _claim(*prepared)
    if isinstance(claimed, Outcome):
        return claimed
    return await _transmit(claimed)


async def _prepare(
    message_id: UUID, now: datetime
) -> Outcome | tuple[Message, content.Facts, str, templates.Rendered]:
    """What to send and to whom, or the outcome when nothing is to be sent now."""
    message = await queries.by_id(message_id)
    if message is None:
        return Outcome("MISSING")
    if message.status in DONE:
        return Outcome(message.status, "already done")
    if message.status == "SENDING" and message.provider_message_id and message.channel == "SMS":
        # The provider took it before a crash: record what it said, send nothing again.
        return await _finish(message, MessageStatus.SENT, "", sent_at=now)
    facts = await content.gather(message)
    to = records.opened(message, "to_address")
    if message.patient_id is not None:
        if facts.patient is None:
            return await _finish(message, MessageStatus.SUPPRESSED, "The patient record is gone.")
        for verdict in (
            await gate.contact(facts.patient, message),
            gate.subject(facts, message),
            gate.quiet(facts, message, now),
        ):
            if verdict.defer_until is not None:
                return Outcome("QUEUED", verdict.reason, verdict.defer_until)
            if not verdict.allowed:
                return await _finish(message, MessageStatus.SUPPRESSED, verdict.reason)
        to = content.patient_address(facts.patient, message.channel)
    if not to:
        return await _finish(message, MessageStatus.SUPPRESSED, "No address to send to.")
    try:
        to = addresses.phone(to) if message.channel == "SMS" else addresses.email(to)
    except ValidationFailed as bad:
        return await _finish(message, MessageStatus.SUPPRESSED, bad.message)
    if templates.kind_of(message.template_name or "").value == "MARKETING":
        facts.values["unsubscribe_url"] = unsubscribe_url(message)
    return message, facts, to, templates.render(await _source(message), facts.values)


def _transport(message: Message, facts: content.Facts) -> Any:
    if facts.settings is not None and facts.settings.development_channel:
        return DEVELOPMENT
    live = channels.email_transport() if message.channel == "EMAIL" else channels.sms_transport()
    if live is None and not channels.config().production:
        return DEVELOPMENT
    return live


@dataclass(frozen=True, slots=True)
class Claimed:
    """A message marked SENDING, with everything the transport needs and nothing more to read."""

    message: Message
    transport: Any
    outbound: OutboundEmail | OutboundSms


async def _claim(
    message: Message, facts: content.Facts, to: str, rendered: templates.Rendered
) -> Outcome | Claimed:
    """Mark the message SENDING (address, transport, Message-ID) before anything leaves.

    The development channel sends nothing, so its one statement records the whole send.
    """
    transport = _transport(message, facts)
    if transport is None:
        return await _finish(message, MessageStatus.FAILED, f"No {message.channel} transport.")
    pid = message.practice_id
    sealed_to = records.sealed(message.id, UUID(str(pid)) if pid else None, "to_address", to)
    masked = addresses.mask(message.channel, to)
    to_index = runtime.keyring().blind_index("phone", to) if message.channel == "SMS" else None
    if transport is DEVELOPMENT:
        return await _finish(
            message,
            MessageStatus.SENT,
            "",
            transport=DEVELOPMENT,
            to_address=sealed_to,
            address_masked=masked,
            to_index=to_index,
            sent_at=datetime.now(UTC),
            **stored(message, rendered),
        )
    email_id = f"<{message.id}@aescrm>" if message.channel == "EMAIL" else None
    await queries.update(
        message.id,
        None,
        status=MessageStatus.SENDING.value,
        transport=transport.name,
        to_address=sealed_to,
        address_masked=masked,
        to_index=to_index,
        provider_message_id=email_id,
    )
    outbound: OutboundEmail | OutboundSms
    if message.channel == "EMAIL":
        sender, reply_to = _sender(facts)
        headers = marketing_headers(message) if message.contact_purpose == "MARKETING" else {}
        outbound = OutboundEmail(
            email_id or "",
            sender,
            to,
            rendered.subject,
            rendered.text,
            rendered.html,
            headers,
            reply_to,
        )
    else:
        sms_from = facts.settings.sms_from if facts.settings else None
        outbound = OutboundSms(to, rendered.sms or rendered.text, sms_from)
    return Claimed(message, transport, outbound)


async def _transmit(claimed: Claimed) -> Outcome:
    """The send, then one statement: the provider's id and SENT are written together."""
    message = claimed.message
    try:
        provider_id = await claimed.transport.send(claimed.outbound)
    except TransientSendError as exc:
        await queries.update(message.id, None, status="QUEUED", status_reason=str(exc)[:200])
        raise
    except PermanentSendError as exc:
        return await _finish(message, MessageStatus.FAILED, str(exc))
    return await _finish(
        message,
        MessageStatus.SENT,
        "",
        provider_message_id=provider_id,
        sent_at=datetime.now(UTC),
    )


__all__ = ["Outcome", "deliver", "give_up"]
