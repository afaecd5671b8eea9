"""One-click unsubscribe (RFC 8058): the signed link in a marketing message withdraws that
channel's marketing consent in the ledger, like the patient saying so at reception. Queued
marketing messages then stop at send time. A bad or foreign token changes nothing."""

from __future__ import annotations

from uuid import UUID

from db.models import ConsentPurpose
from db.queries import diary_settings
from db.queries import messages as queries
from db.queries import patients as patient_queries
from db.uow import unit_of_work
from services import tenant_gate
from services.consent import ledger
from services.consent.contact import MARKETING_CONSENT, Channel
from services.messaging import headers


async def unsubscribe(token: str) -> bool:
    """True when the token was good (whether or not a grant was still there to withdraw)."""
    message_id = headers.message_of(token)
    message = await queries.by_id(message_id) if message_id else None
    if message is None or message.contact_purpose != "MARKETING" or message.patient_id is None:
        return False
    pid = tenant_gate.practice_of(message)
    patient = await patient_queries.patient([pid], UUID(str(message.patient_id)))
    practice = await diary_settings.practice(pid)
    purpose: ConsentPurpose | None = MARKETING_CONSENT[Channel(message.channel)]
    if patient is None or practice is None or purpose is None:
        return False
    async with unit_of_work() as uow:
        await ledger.withdraw_by_link_in(
            uow,
            patient,
            tenant_gate.organization_of(practice),
            purpose,
            evidence=f"unsubscribe link of message {message.id}",
        )
    return True


__all__ = ["unsubscribe"]
