"""End-of-day cash reconciliation: the cash counted in the till against the cash the day's
payments and refunds say should be there (``day_sheet.cash_of_day``), the difference recorded.

Each count is a new row (a recount does not edit the earlier one); the note is encrypted. Needs
billing:write in the practice (staff only); listing needs billing:read and is staff only too: a
partner app is refused (FORBIDDEN, audited; ``report_access.staff_practice``), since the till
holds every payer's cash. One unit of work: the row, its audit row and a ``CASH_RECONCILED``
billing event (a practice-level event, delivered live to staff only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID, uuid4

from db.models import CashReconciliation
from db.outbox import PendingEvent
from db.queries import payments as queries
from db.uow import unit_of_work
from services import actors, audit, tenant_gate
from services.billing.day_sheet import cash_of_day
from services.billing.money import Money
from services.billing.payments import TOPIC, note_text
from services.billing.report_access import staff_practice
from services.errors import ValidationFailed
from services.patients import sealing
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Page:
    rows: list[CashReconciliation]
    has_next: bool


async def reconcile(
    principal: Principal, *, practice_id: UUID, day: date, counted: Money, note: str | None
) -> CashReconciliation:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.BILLING_WRITE)
    if counted.minor < 0:
        raise ValidationFailed("An amount may not be negative.", field="counted")
    if day > datetime.now(UTC).date() + timedelta(days=1):
        raise ValidationFailed("That day has not happened yet.", field="day")
    text = note_text(note)
    expected = await cash_of_day(pid, day, counted.currency)
    async with unit_of_work() as uow:
        row = CashReconciliation(
            id=uuid4(),
            practice_id=pid,
            day=day,
            currency=counted.currency,
            expected_minor=expected,
            counted_minor=counted.minor,
            difference_minor=counted.minor - expected,
            counted_by_user_id=principal.user_id,
        )
        row.note = sealing.seal(row, "note", text)  # type: ignore[assignment]
        await row.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="RECONCILE_CASH",
                practice_id=pid,
                entity_type="CashReconciliation",
                entity_id=row.id,
                fields=["counted", "note"],
            )
        )
        uow.emit(
            PendingEvent(
                organization_id=await organization_id(principal, pid),
                practice_id=pid,
                topic=TOPIC,
                type="CASH_RECONCILED",
                entity_id=row.id,
                payload=actors.stamped({"day": day.isoformat()}, principal),
            )
        )
    return row


async def reconciliations(
    principal: Principal,
    *,
    practice_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> Page:
    pid = await staff_practice(principal, practice_id, action="READ cash_reconciliations")
    rows = await queries.reconciliations(pid, first, after)
    return Page(rows[:first], len(rows) > first)


def note_of(row: CashReconciliation) -> str | None:
    return sealing.reveal(row, "note")
