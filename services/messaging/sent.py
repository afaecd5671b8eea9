"""``sentMessages``: what a practice sent (and received), for staff who may read its patients.

Tenancy from the principal (another practice is NOT_FOUND); patients see only what visibility
allows (staff: everyone of the practice; a partner only consented patients; a patient never,
this is a staff view). Bodies are decrypted only for the development channel and replies, the
rows that keep one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.models import Message
from db.queries import messages as queries
from services import tenant_gate, visibility
from services.messaging import records
from services.policy import Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class SentMessage:
    row: Message
    subject: str | None
    body: str | None


@dataclass(frozen=True, slots=True)
class Page:
    messages: list[SentMessage]
    has_next: bool


async def listed(
    principal: Principal,
    *,
    practice_id: UUID,
    patient_id: UUID | None,
    development_only: bool,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> Page:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PATIENT_READ)
    only = await visibility.visible_in(principal, pid)
    rows = await queries.sent(
        pid,
        transport="development" if development_only else None,
        patient_id=patient_id,
        limit=first + 1,
        before=after,
    )
    if only is not None:
        rows = [r for r in rows if r.patient_id is None or UUID(str(r.patient_id)) in only]
        rows = [r for r in rows if r.patient_id is not None]  # staff mail is not a partner's
    shown = [
        SentMessage(r, records.opened(r, "rendered_subject"), records.opened(r, "rendered_text"))
        for r in rows[:first]
    ]
    return Page(shown, len(rows) > first)


__all__ = ["Page", "SentMessage", "listed"]
