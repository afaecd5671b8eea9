"""Practice notices: a short message pushed live to every board of a practice.

"Surgery 2 closed this afternoon", "Card terminal down — take cash". A notice is a domain event
(topic ``schedule``) written through the unit of work, so it reaches boards exactly like any
diary change and survives a reconnect through ``since``. An optional clinical detail is only
ever rendered for subscribers holding ``clinical:read``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.outbox import PendingEvent
from db.uow import unit_of_work
from realtime.envelopes import SCHEDULE
from services import actors, audit
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.tenant_gate import practice_for

NOTICE_TYPE = "practice.notice"
MAX_MESSAGE = 500
MAX_DETAIL = 2000


class Severity(StrEnum):
    INFO = "INFO"
    WARNING = "WARNING"
    URGENT = "URGENT"


@dataclass(frozen=True, slots=True)
class Notice:
    id: UUID
    practice_id: UUID
    message: str
    severity: Severity
    clinical_detail: str | None
    posted_by: UUID | None
    posted_at: datetime
    expires_at: datetime | None
    sequence: int


def _clean(text: str | None, *, field: str, limit: int, required: bool) -> str | None:
    value = (text or "").strip()
    if not value:
        if required:
            raise ValidationFailed("Write a message.", field=field)
        return None
    if len(value) > limit:
        raise ValidationFailed(f"At most {limit} characters.", field=field)
    return value


async def announce(
    principal: Principal,
    *,
    practice_id: UUID,
    message: str,
    severity: Severity = Severity.INFO,
    clinical_detail: str | None = None,
    expires_at: datetime | None = None,
) -> Notice:
    pid = practice_for(principal, practice_id, Scope.PRACTICE_WRITE)
    organization_id = principal.organization_of(pid)
    if organization_id is None:  # practice_for has checked it; this tells the type checker
        raise NotFound("Practice")
    text = _clean(message, field="message", limit=MAX_MESSAGE, required=True)
    detail = _clean(clinical_detail, field="clinicalDetail", limit=MAX_DETAIL, required=False)
    now = datetime.now(UTC)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed("The expiry must be in the future.", field="expiresAt")
    notice_id = uuid4()
    async with unit_of_work() as uow:
        uow.emit(
            PendingEvent(
                organization_id=organization_id,
                practice_id=practice_id,
                topic=SCHEDULE,
                type=NOTICE_TYPE,
                entity_id=notice_id,
                payload={
                    "message": text,
                    "severity": severity.value,
                    "clinical_detail": detail,
                    "posted_by": str(principal.user_id) if principal.user_id else None,
                    "expires_at": expires_at.isoformat() if expires_at else None,
                    actors.KEY: actors.of(principal),
                },
                occurred_at=now,
            )
        )
        uow.audit(
            audit.record_for(
                principal,
                action="ANNOUNCE_NOTICE",
                practice_id=practice_id,
                entity_type="PracticeNotice",
                entity_id=notice_id,
            )
        )
    sequence = int(uow.committed_events[0].sequence)
    return Notice(
        id=notice_id,
        practice_id=practice_id,
        message=text or "",
        severity=severity,
        clinical_detail=detail,
        posted_by=principal.user_id,
        posted_at=now,
        expires_at=expires_at,
        sequence=sequence,
    )


__all__ = ["NOTICE_TYPE", "Notice", "Severity", "announce"]
