"""Data-subject requests: received, due one calendar month later, handled by someone.

Access and portability complete with an export; restriction and objection with a restriction
row; erasure with a per-category outcome (``erasure``); rectification is an ordinary audited
update of the record, after which staff complete the request.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import DataSubjectRequest
from db.models.privacy import RequestKind, RequestStatus
from db.queries import privacy_requests as queries
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.consent import privacy_access
from services.errors import Conflict, NotFound
from services.messaging import legal_notices
from services.policy import Scope
from services.principal import Principal

OPEN = (RequestStatus.RECEIVED.value, RequestStatus.IN_PROGRESS.value)


def one_month_after(moment: datetime) -> datetime:
    """The same day next month, or that month's last day (ICO guidance on the deadline)."""
    year, month = (moment.year + 1, 1) if moment.month == 12 else (moment.year, moment.month + 1)
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def audit_change(
    uow: UnitOfWork, principal: Principal, row: DataSubjectRequest, action: str
) -> None:
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=UUID(str(row.practice_id)),
            entity_type="DataSubjectRequest",
            entity_id=row.id,
            patient_id=UUID(str(row.patient_id)),
            fields=[row.kind, row.status],
        )
    )


async def receive(
    principal: Principal, *, patient_id: UUID, kind: RequestKind, received_at: datetime | None
) -> DataSubjectRequest:
    patient = await privacy_access.staff_with(
        principal, Scope.CONSENT_WRITE, patient_id, action="RECEIVE subject request"
    )
    received = received_at or datetime.now(UTC)
    async with unit_of_work() as uow:
        row = DataSubjectRequest(
            id=uuid4(),
            practice_id=patient.practice_id,
            patient_id=patient.id,
            kind=kind.value,
            received_at=received,
            due_at=one_month_after(received),
            handled_by_user_id=principal.user_id,
        )
        await row.save(using_db=uow.connection)
        audit_change(uow, principal, row, "RECEIVE subject request")
        await legal_notices.request_notice(uow.connection, patient, row)
    return row


async def open_request(
    principal: Principal, request_id: UUID, *, action: str
) -> DataSubjectRequest:
    """A request the caller may handle; NOT_FOUND for anyone else's, CONFLICT once closed."""
    row, patient = await privacy_access.patient_row(
        principal, DataSubjectRequest, request_id, entity="Request"
    )
    await privacy_access.require_staff(principal, Scope.CONSENT_WRITE, patient, action=action)
    if row.status not in OPEN:
        raise Conflict("This request is already closed.")
    return row


async def close(
    principal: Principal,
    *,
    request_id: UUID,
    status: RequestStatus,
    outcome: list[dict[str, object]] | None = None,
) -> DataSubjectRequest:
    row = await open_request(principal, request_id, action="CLOSE subject request")
    row.status = status.value
    if status.value not in OPEN:
        row.completed_at = datetime.now(UTC)
    row.handled_by_user_id = principal.user_id
    if outcome is not None:
        row.outcome = outcome
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        audit_change(uow, principal, row, "UPDATE subject request")
        await legal_notices.request_notice(uow.connection, None, row)
    return row


async def listed(
    principal: Principal, *, practice_id: UUID, open_only: bool, first: int
) -> list[DataSubjectRequest]:
    pid = tenant_gate.practice_among(principal.practices_with(Scope.CONSENT_WRITE), practice_id)
    if not principal.has_scope(Scope.CONSENT_WRITE, pid) or principal.is_patient:
        raise NotFound("Practice")
    return await queries.listed(pid, statuses=OPEN if open_only else None, limit=first)
