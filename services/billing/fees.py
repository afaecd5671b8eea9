"""Fee schedules: a practice's private prices for a range of days, and ``price_of``, the one
question invoices ask ("what does this cost on that day?").

A schedule covers ``valid_from`` to ``valid_to`` (inclusive; open-ended while null). A practice's
schedules never overlap (creating one that would is CONFLICT), so a day has at most one price
list; a price change is a new schedule from its date after closing the old one, and an old
invoice's prices stay explainable. A fee names either a catalogue procedure (dental treatment:
VAT exempt by default) or one unit (unit or ml) of an aesthetic product (cosmetic: standard-rated
by default), with its VAT category (services/billing/vat.py says the rate on the day).

Reading needs billing:read in the practice, changing billing:write. Every change writes its
audit row and a ``billing`` outbox event in one unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from db.models import FeeSchedule, ScheduleFee
from db.outbox import PendingEvent
from db.queries import aesthetic_stock as stock_queries
from db.queries import billing_fees as queries
from db.queries import clinical_chart as chart_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.billing.money import MINOR_UNITS, Money, checked
from services.billing.vat import VatCategory
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal

TOPIC = "billing"
MAX_FEES = 500  # one bulk call


@dataclass(frozen=True, slots=True)
class Price:
    """What one unit costs (before VAT) and how it is taxed."""

    unit: Money
    vat_category: VatCategory


@dataclass(frozen=True, slots=True)
class ScheduleView:
    schedule: FeeSchedule
    fees: list[ScheduleFee]


@dataclass(frozen=True, slots=True)
class FeeChange:
    """One fee to set: exactly one of ``procedure_code`` / ``product_id``."""

    unit_minor: int
    procedure_code: str | None = None
    product_id: UUID | None = None
    vat_category: VatCategory | None = None  # default: EXEMPT for procedures, STANDARD products


async def price_of(
    practice_id: PracticeId,
    *,
    procedure_code: str | None = None,
    product_id: UUID | None = None,
    on: date,
) -> Price:
    """The private price of a procedure (by catalogue code) or of one unit of a product in the
    practice's schedule covering ``on``. NOT_FOUND when no schedule covers the day or it has no
    fee for the item. For services that already checked the caller (invoices)."""
    if (procedure_code is None) == (product_id is None):
        raise ValidationFailed("Name a procedure code or a product.", field="procedureCode")
    found = await queries.schedule_on(practice_id, on)
    if found is None:
        raise NotFound("Fee schedule")
    fee = await queries.fee_in(
        UUID(str(found.id)),
        procedure_code=None if procedure_code is None else procedure_code.upper(),
        product_id=product_id,
    )
    if fee is None:
        raise NotFound("Fee")
    return Price(Money(int(fee.unit_minor), found.currency), VatCategory(fee.vat_category))


def _readable(principal: Principal, practice_id: UUID) -> PracticeId:
    return tenant_gate.practice_for(principal, practice_id, Scope.BILLING_READ)


async def writable_practice(principal: Principal, practice_id: UUID, action: str) -> PracticeId:
    pid = _readable(principal, practice_id)
    if not principal.has_scope(Scope.BILLING_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to change this practice's fees.")
    return pid


async def recorded(
    uow: UnitOfWork,
    principal: Principal,
    pid: PracticeId,
    *,
    action: str,
    entity_type: str,
    entity_id: object,
    event: str,
    fields: list[str],
    patient_id: UUID | None = None,
    payload: dict[str, object] | None = None,
) -> None:
    """The audit row (field names only) and an ids-only ``billing`` event, in ``uow``."""
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type=entity_type,
            entity_id=entity_id,
            patient_id=patient_id,
            fields=sorted(fields),
        )
    )
    organization = principal.organization_of(pid)
    assert organization is not None  # tenant_gate.practice_for checked it
    uow.emit(
        PendingEvent(
            organization_id=organization,
            practice_id=pid,
            topic=TOPIC,
            type=event,
            entity_id=UUID(str(entity_id)),
            patient_id=patient_id,
            payload=actors.stamped(dict(payload or {}), principal),
        )
    )


async def schedules(principal: Principal, *, practice_id: UUID) -> list[ScheduleView]:
    pid = _readable(principal, practice_id)
    rows = await queries.schedules_of(pid)
    return await _views(rows)


async def _views(rows: Sequence[FeeSchedule]) -> list[ScheduleView]:
    fees = await queries.fees_of([UUID(str(r.id)) for r in rows])
    by: dict[str, list[ScheduleFee]] = {}
    for fee in fees:
        by.setdefault(str(fee.schedule_id), []).append(fee)
    return [ScheduleView(r, by.get(str(r.id), [])) for r in rows]


async def _found(principal: Principal, schedule_id: UUID, scope: Scope) -> FeeSchedule:
    found = await queries.schedule(principal.practices_with(scope), schedule_id)
    if found is None:
        raise NotFound("Fee schedule")
    return found


async def schedule(principal: Principal, *, schedule_id: UUID) -> ScheduleView:
    found = await _found(principal, schedule_id, Scope.BILLING_READ)
    return (await _views([found]))[0]


def _overlaps(a_from: date, a_to: date | None, b_from: date, b_to: date | None) -> bool:
    return (b_to is None or a_from <= b_to) and (a_to is None or b_from <= a_to)


async def create_schedule(
    principal: Principal,
    *,
    practice_id: UUID,
    name: str,
    valid_from: date,
    valid_to: date | None = None,
    currency: str = "GBP",
) -> ScheduleView:
    pid = await writable_practice(principal, practice_id, "CREATE fee_schedule")
    clean = v.text(name, "name", max_length=120, required=True) or ""
    if currency not in MINOR_UNITS:
        raise ValidationFailed(f"Unsupported currency {currency!r}.", field="currency")
    if valid_to is not None and valid_to < valid_from:
        raise ValidationFailed("A schedule ends on or after its first day.", field="validTo")
    row = FeeSchedule(
        id=uuid4(),
        practice_id=pid,
        name=clean,
        currency=currency,
        valid_from=valid_from,
        valid_to=valid_to,
        created_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        for other in await queries.lock_schedules(pid, uow.connection):
            if _overlaps(valid_from, valid_to, other.valid_from, other.valid_to):
                raise Conflict(
                    f"It overlaps the schedule '{other.name}' from {other.valid_from}.",
                    field="validFrom",
                )
        await row.save(using_db=uow.connection)
        await recorded(
            uow,
            principal,
            pid,
            action="CREATE fee_schedule",
            entity_type="FeeSchedule",
            entity_id=row.id,
            event="FEE_SCHEDULE_CHANGED",
            fields=["name", "validFrom", "validTo", "currency"],
        )
    return ScheduleView(row, [])


async def close_schedule(
    principal: Principal, *, schedule_id: UUID, last_day: date
) -> ScheduleView:
    """End a schedule on ``last_day`` (a schedule is shortened, never lengthened)."""
    found = await _found(principal, schedule_id, Scope.BILLING_READ)
    pid = await writable_practice(principal, tenant_gate.practice_of(found), "UPDATE fee_schedule")
    async with unit_of_work() as uow:
        locked = await queries.schedule({pid}, schedule_id, uow.connection, for_update=True)
        assert locked is not None
        if last_day < locked.valid_from:
            raise ValidationFailed("A schedule ends on or after its first day.", field="lastDay")
        if locked.valid_to is not None and last_day > locked.valid_to:
            raise Conflict(f"This schedule already ends on {locked.valid_to}.", field="lastDay")
        locked.valid_to = last_day
        locked.closed_by_user_id = principal.user_id
        await locked.save(using_db=uow.connection, update_fields=["valid_to", "closed_by_user_id"])
        await recorded(
            uow,
            principal,
            pid,
            action="UPDATE fee_schedule",
            entity_type="FeeSchedule",
            entity_id=locked.id,
            event="FEE_SCHEDULE_CHANGED",
            fields=["validTo"],
        )
    return (await _views([locked]))[0]


async def set_fees(
    principal: Principal,
    *,
    schedule_id: UUID,
    changes: Sequence[FeeChange],
    today: date | None = None,
) -> ScheduleView:
    """Set (add or replace) fees in bulk: all or nothing. A schedule that ended before
    ``today`` is history and is not edited (CONFLICT)."""
    found = await _found(principal, schedule_id, Scope.BILLING_READ)
    pid = await writable_practice(principal, tenant_gate.practice_of(found), "UPDATE fee_schedule")
    if not changes:
        raise ValidationFailed("Give at least one fee.", field="fees")
    if len(changes) > MAX_FEES:
        raise ValidationFailed(f"At most {MAX_FEES} fees at once.", field="fees")
    organization = principal.organization_of(pid)
    assert organization is not None
    codes = await chart_queries.procedures_by_code(pid)
    wanted: dict[tuple[str | None, str | None], FeeChange] = {}
    for change in changes:
        checked(change.unit_minor, "unitAmount", allow_zero=True)
        if (change.procedure_code is None) == (change.product_id is None):
            raise ValidationFailed("Each fee names a procedure code or a product.", field="fees")
        code = None if change.procedure_code is None else change.procedure_code.strip().upper()
        if code is not None and code not in codes:
            raise ValidationFailed(f"No procedure {code} in the catalogue.", field="procedureCode")
        if (
            change.product_id is not None
            and (await stock_queries.product(organization, change.product_id)) is None
        ):
            raise ValidationFailed("No such product.", field="productId")
        key = (code, None if change.product_id is None else str(change.product_id))
        if key in wanted:
            raise ValidationFailed("A fee is named twice.", field="fees")
        wanted[key] = change
    async with unit_of_work() as uow:
        locked = await queries.schedule({pid}, schedule_id, uow.connection, for_update=True)
        assert locked is not None
        if locked.valid_to is not None and locked.valid_to < (today or datetime.now(UTC).date()):
            raise Conflict("A schedule that has ended is not edited.", field="scheduleId")
        existing = {
            (f.procedure_code, None if f.product_id is None else str(f.product_id)): f
            for f in await queries.fees_of([UUID(str(locked.id))], uow.connection)
        }
        for (code, product), change in wanted.items():
            category = change.vat_category or (
                VatCategory.EXEMPT if code is not None else VatCategory.STANDARD
            )
            row = existing.get((code, product))
            if row is None:
                await ScheduleFee(
                    id=uuid4(),
                    practice_id=pid,
                    schedule_id=locked.id,
                    procedure_code=code,
                    product_id=None if product is None else UUID(product),
                    unit_minor=change.unit_minor,
                    vat_category=category.value,
                ).save(using_db=uow.connection)
            else:
                row.unit_minor = change.unit_minor
                row.vat_category = category.value
                await row.save(
                    using_db=uow.connection, update_fields=["unit_minor", "vat_category"]
                )
        await recorded(
            uow,
            principal,
            pid,
            action="UPDATE fee_schedule",
            entity_type="FeeSchedule",
            entity_id=locked.id,
            event="FEE_SCHEDULE_CHANGED",
            fields=["fees"],
            payload={"fees": len(wanted)},
        )
    return (await _views([locked]))[0]
