"""What the SMS provider tells us: replies from patients and delivery status of what we sent.

Both arrive signed (``twilio.verify``); an unsigned or forged request changes nothing. A reply
is matched to the newest reminder sent to that number (by the number's blind index, never by
decrypting every row) and recorded. "YES" confirms the appointment through the scheduling
workflow (one status change, its history, outbox event and audit row: the board sees it live);
"NO", anything else, or a YES the appointment can no longer take is flagged for a call: on the
reply's row and, in the same unit of work, on the appointment (``scheduling.call_requests``:
its event puts the request on every board live). Status callbacks move a message to DELIVERED or
FAILED; a late "sent" never undoes "delivered". Each provider message id is handled once.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.queries import diary_settings
from db.queries import messages as queries
from db.uow import UnitOfWork, unit_of_work
from services import runtime, tenant_gate
from services.errors import Conflict, NotFound, ValidationFailed
from services.messaging import addresses, channels, records, twilio
from services.policy import Scope
from services.principal import Principal
from services.scheduling.diary_access import Diary, diary_of

log = logging.getLogger("aescrm.messages")
YES = re.compile(r"^\s*(yes|y|yes please|confirm|confirmed)\s*[.!]*\s*$", re.IGNORECASE)
_STATUS = {"delivered": "DELIVERED", "undelivered": "FAILED", "failed": "FAILED", "sent": "SENT"}
_RANK = {"QUEUED": 0, "SENDING": 1, "SENT": 2, "DELIVERED": 3, "FAILED": 3}


@dataclass(frozen=True, slots=True)
class Receipt:
    status: int
    outcome: str


def _verified(url: str, params: Sequence[tuple[str, str]], signature: str | None) -> bool:
    config = channels.config().twilio
    return config is not None and twilio.verify(config.auth_token, url, params, signature)


async def delivery_status(
    url: str, params: Sequence[tuple[str, str]], signature: str | None
) -> Receipt:
    if channels.config().twilio is None:
        return Receipt(503, "NOT_CONFIGURED")
    if not _verified(url, params, signature):
        log.warning("sms status callback refused: bad signature")
        return Receipt(403, "BAD_SIGNATURE")
    form = dict(params)
    status = _STATUS.get(form.get("MessageStatus", "").lower())
    sid = form.get("MessageSid", "")
    message = await queries.by_provider_id(sid) if sid else None
    if status is None or message is None:
        return Receipt(200, "IGNORED")
    if _RANK.get(status, 0) <= _RANK.get(message.status, 0):
        return Receipt(200, "UNCHANGED")
    now = datetime.now(UTC)
    values: dict[str, object] = {"status": status}
    if status == "DELIVERED":
        values["delivered_at"] = now
    if status == "FAILED":
        values["failed_at"] = now
        values["status_reason"] = f"Provider error {form.get('ErrorCode', 'unknown')}"[:200]
    await queries.update(message.id, None, **values)
    return Receipt(200, status)


def _system(practice_id: UUID, organization_id: UUID) -> Principal:
    """The patient's own reply acts as the system, on that one practice's diary only."""
    pid = tenant_gate.held_practice(practice_id)
    return Principal(
        practice_scopes={pid: frozenset({Scope.SCHEDULE_WRITE})},
        practice_organizations={pid: tenant_gate.held_organization(organization_id)},
    )


async def reply(url: str, params: Sequence[tuple[str, str]], signature: str | None) -> Receipt:
    if channels.config().twilio is None:
        return Receipt(503, "NOT_CONFIGURED")
    if not _verified(url, params, signature):
        log.warning("sms reply refused: bad signature")
        return Receipt(403, "BAD_SIGNATURE")
    form = dict(params)
    sid, body = form.get("MessageSid", ""), form.get("Body", "")
    try:
        number = addresses.phone(form.get("From", ""))
    except ValidationFailed:  # a short code or alphanumeric sender: nothing to match
        return Receipt(200, "UNMATCHED")
    if not sid or await queries.by_provider_id(sid) is not None:
        return Receipt(200, "DUPLICATE")
    index = runtime.keyring().blind_index("phone", number)
    target = await queries.latest_reply_target(index)
    if target is None or target.practice_id is None:
        return Receipt(200, "UNMATCHED")
    said_yes = bool(YES.match(body))
    confirmed = said_yes and await _confirm(target.practice_id, target.subject_id)
    message_id = uuid4()
    pid = UUID(str(target.practice_id))
    flag = None if confirmed else await _call_flag(target.practice_id, target.subject_id)
    async with unit_of_work() as uow:
        await queries.add(
            uow.connection,
            id=message_id,
            practice_id=pid,
            patient_id=target.patient_id,
            direction="IN",
            channel="SMS",
            transport="twilio",
            purpose="REPLY",
            contact_purpose="SERVICE",
            subject_id=target.subject_id,
            status="RECEIVED",
            status_reason="Confirmed the appointment." if confirmed else "Needs a call.",
            provider_message_id=sid,
            address_masked=addresses.mask("SMS", number),
            to_index=index,
            rendered_text=records.sealed(message_id, pid, "rendered_text", body[:1600]),
            needs_call=not confirmed,
        )
        if flag is not None:  # the board shows the request with the reply, or neither
            await flag.raised(uow, body, said_yes=said_yes)
    return Receipt(200, "CONFIRMED" if confirmed else "FLAGGED")


@dataclass(frozen=True, slots=True)
class _CallFlag:
    """The appointment a reply that needs a call is about, and the diary it is in."""

    principal: Principal
    diary: Diary
    appointment_id: UUID

    async def raised(self, uow: UnitOfWork, body: str, *, said_yes: bool) -> None:
        from services.scheduling import call_requests

        reason = call_requests.reason_of(body, said_yes=said_yes)
        await call_requests.request(
            uow,
            self.principal,
            self.diary,
            self.appointment_id,
            reason=reason,
            at=datetime.now(UTC),
        )


async def _call_flag(practice_id: object, appointment_id: object) -> _CallFlag | None:
    """Read before the reply's unit of work (nothing is read inside it but the locked row)."""
    if appointment_id is None:
        return None
    practice = await diary_settings.practice(tenant_gate.held_practice(practice_id))
    if practice is None:
        return None
    principal = _system(practice.id, UUID(str(practice.organization_id)))
    diary = await diary_of(tenant_gate.held_practice(practice.id))
    return _CallFlag(principal, diary, UUID(str(appointment_id)))


async def _confirm(practice_id: object, appointment_id: object) -> bool:
    from services.scheduling import workflow

    if appointment_id is None:
        return False
    practice = await diary_settings.practice(tenant_gate.held_practice(practice_id))
    if practice is None:
        return False
    principal = _system(practice.id, UUID(str(practice.organization_id)))
    try:
        await workflow.set_status(
            principal, appointment_id=UUID(str(appointment_id)), status=workflow.Status.CONFIRMED
        )
    except (Conflict, NotFound):  # already confirmed, cancelled, moved on: a person decides
        return False
    return True


__all__ = ["Receipt", "delivery_status", "reply"]
