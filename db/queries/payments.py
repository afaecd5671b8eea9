"""Tenant-scoped reads and locks for payments, refunds, deposits, balances and billing reports.

The allowed practices (or the one practice) come first; a row of another practice answers like
a missing one. Aggregates (a patient's balance, aged debt, a day's takings) are one statement
each; a statement is two (the patient's invoices and payments up to its end).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import (
    Appointment,
    BillingSettings,
    CashReconciliation,
    Invoice,
    Membership,
    Payment,
    PaymentAllocation,
)
from db.queries.report_sql import Statement
from db.tenancy import PracticeId

OPEN = ("ISSUED", "PARTIALLY_PAID")
ISSUED_STATES = ("ISSUED", "PARTIALLY_PAID", "PAID", "VOID")


def _conn(connection: BaseDBAsyncClient | None) -> BaseDBAsyncClient:
    return connection if connection is not None else Payment._meta.db


def _marks(connection: BaseDBAsyncClient, count: int, start: int = 1) -> list[str]:
    if connection.capabilities.dialect == "postgres":
        return [f"${i}" for i in range(start, start + count)]
    return ["?"] * count


async def settings(
    practice_id: PracticeId, connection: BaseDBAsyncClient | None = None
) -> BillingSettings | None:
    query = BillingSettings.filter(practice_id=practice_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def invoice(
    allowed: Collection[PracticeId],
    invoice_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> Invoice | None:
    if not allowed:
        return None
    query = Invoice.filter(id=invoice_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def open_invoices(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> list[Invoice]:
    """The patient's unpaid and part-paid invoices, oldest first (by due date, then issue)."""
    rows = await (
        Invoice.filter(
            practice_id=practice_id, patient_id=patient_id, kind="INVOICE", status__in=OPEN
        )
        .select_for_update()
        .using_db(connection)
    )
    return sorted(rows, key=lambda i: (i.due_on or date.max, i.issued_at or i.created_at, i.id))


async def payment(
    allowed: Collection[PracticeId],
    payment_id: UUID,
    *,
    connection: BaseDBAsyncClient | None = None,
    for_update: bool = False,
) -> Payment | None:
    if not allowed:
        return None
    query = Payment.filter(id=payment_id, practice_id__in=list(allowed))
    if for_update:
        query = query.select_for_update()
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def refunded_total(
    practice_id: PracticeId, payment_id: UUID, connection: BaseDBAsyncClient
) -> int:
    rows = await Payment.filter(
        practice_id=practice_id, refunds_payment_id=payment_id, kind="REFUND"
    ).using_db(connection)
    return sum(r.amount_minor for r in rows if r.status != "FAILED")


@dataclass(frozen=True, slots=True)
class NetAllocation:
    invoice_id: UUID
    amount_minor: int
    last_at: datetime


async def net_allocations(
    practice_id: PracticeId, payment_id: UUID, connection: BaseDBAsyncClient
) -> list[NetAllocation]:
    """What a payment still settles, per invoice, the most recently allocated first (within one
    allocation, the invoice settled last first)."""
    rows = (
        await PaymentAllocation.filter(practice_id=practice_id, payment_id=payment_id)
        .using_db(connection)
        .order_by("allocated_at", "created_at")
    )
    net: dict[UUID, list[Any]] = {}
    for position, row in enumerate(rows):
        entry = net.setdefault(UUID(str(row.invoice_id)), [0, row.allocated_at, 0])
        entry[0] += row.amount_minor
        if row.amount_minor > 0:
            entry[1], entry[2] = row.allocated_at, position
    found = sorted(
        ((k, v) for k, v in net.items() if v[0] > 0), key=lambda kv: kv[1][2], reverse=True
    )
    return [NetAllocation(k, v[0], v[1]) for k, v in found]


async def allocations_of(
    practice_id: PracticeId, payment_ids: Collection[UUID]
) -> list[PaymentAllocation]:
    if not payment_ids:
        return []
    return await PaymentAllocation.filter(
        practice_id=practice_id, payment_id__in=list(payment_ids)
    ).order_by("allocated_at", "created_at")


async def appointment(
    practice_id: PracticeId, appointment_id: UUID, connection: BaseDBAsyncClient | None = None
) -> Appointment | None:
    query = Appointment.filter(id=appointment_id, practice_id=practice_id)
    if connection is not None:
        query = query.using_db(connection)
    return await query.first()


async def appointment_practice(
    allowed: Collection[PracticeId], appointment_id: UUID
) -> Appointment | None:
    if not allowed:
        return None
    return await Appointment.filter(id=appointment_id, practice_id__in=list(allowed)).first()


async def held_deposits(
    practice_id: PracticeId, appointment_id: UUID, connection: BaseDBAsyncClient
) -> list[Payment]:
    return (
        await Payment.filter(
            practice_id=practice_id,
            appointment_id=appointment_id,
            kind="DEPOSIT",
            deposit_state="HELD",
        )
        .select_for_update()
        .using_db(connection)
        .order_by("received_at", "id")
    )


@dataclass(frozen=True, slots=True)
class AccountTotals:
    invoiced: int
    credited: int
    paid: int
    refunded: int
    forfeited: int
    credit_on_account: int
    deposits_held: int

    @property
    def balance(self) -> int:
        """What the patient owes (negative: in credit)."""
        return self.invoiced - self.credited - self.paid + self.refunded + self.forfeited


async def account_totals(practice_id: PracticeId, patient_id: UUID) -> AccountTotals:
    """One statement: the patient's issued invoices and credit notes, payments, deposits and
    refunds, summed by what they do to the balance."""
    connection = _conn(None)
    m = _marks(connection, 4)
    sql = f"""
    SELECT 'INV' AS k, kind AS sub, '' AS st, COALESCE(SUM(total_minor), 0) AS a, 0 AS u
      FROM invoice WHERE practice_id = {m[0]} AND patient_id = {m[1]} AND issued_at IS NOT NULL
      GROUP BY kind
    UNION ALL
    SELECT 'PAY', kind, COALESCE(deposit_state, ''), COALESCE(SUM(amount_minor), 0),
           COALESCE(SUM(unallocated_minor), 0)
      FROM payment WHERE practice_id = {m[2]} AND patient_id = {m[3]} AND status = 'SUCCEEDED'
      GROUP BY kind, deposit_state
    """  # noqa: S608 (only placeholders are interpolated)
    values = [str(practice_id), str(patient_id)] * 2
    _, rows = await connection.execute_query(sql, values)
    invoiced = credited = paid = refunded = forfeited = credit = held = 0
    for row in rows:
        k, sub, state, amount, unallocated = (
            row["k"],
            row["sub"],
            row["st"],
            int(row["a"]),
            int(row["u"]),
        )
        if k == "INV":
            if sub == "CREDIT_NOTE":
                credited += amount
            else:
                invoiced += amount
        elif sub == "REFUND":
            refunded += amount
        else:
            paid += amount
            if sub == "PAYMENT" or state == "APPLIED":
                credit += unallocated
            elif state == "HELD":
                held += unallocated
            elif state == "FORFEITED":
                forfeited += amount
    return AccountTotals(invoiced, credited, paid, refunded, forfeited, credit, held)


@dataclass(frozen=True, slots=True)
class InvoiceLineRow:
    id: UUID
    kind: str
    number: str | None
    total_minor: int
    issued_at: datetime


@dataclass(frozen=True, slots=True)
class PaymentLineRow:
    id: UUID
    kind: str
    method: str
    amount_minor: int
    received_at: datetime
    deposit_state: str | None
    deposit_settled_at: datetime | None


def _moment(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def statement_rows(
    practice_id: PracticeId, patient_id: UUID, until: datetime
) -> tuple[list[InvoiceLineRow], list[PaymentLineRow]]:
    """Everything on the patient's account up to ``until``: one statement (invoices and
    payments together), plain rows (model objects would be most of a long statement's time)."""
    connection = _conn(None)
    m = _marks(connection, 6)
    pg = connection.capabilities.dialect == "postgres"
    sql = f"""
    SELECT 'I' AS src, id, kind, number AS ref, total_minor AS amount, issued_at AS at,
           NULL AS state, NULL AS settled
      FROM invoice
     WHERE practice_id = {m[0]} AND patient_id = {m[1]} AND issued_at IS NOT NULL
       AND issued_at < {m[2]}
    UNION ALL
    SELECT 'P', id, kind, method, amount_minor, received_at, deposit_state, deposit_settled_at
      FROM payment
     WHERE practice_id = {m[3]} AND patient_id = {m[4]} AND status = 'SUCCEEDED'
       AND received_at < {m[5]}
    """  # noqa: S608 (only placeholders are interpolated)
    moment: Any = until if pg else until.astimezone(UTC).isoformat(sep=" ")
    values: list[Any] = [str(practice_id), str(patient_id), moment] * 2
    if pg:
        values = [practice_id, patient_id, until] * 2
    _, rows = await connection.execute_query(sql, values)
    invoices: list[InvoiceLineRow] = []
    payments: list[PaymentLineRow] = []
    for r in rows:
        rid = r["id"] if isinstance(r["id"], UUID) else UUID(str(r["id"]))
        if r["src"] == "I":
            invoices.append(
                InvoiceLineRow(rid, r["kind"], r["ref"], int(r["amount"]), _moment(r["at"]))
            )
        else:
            settled = r["settled"]
            payments.append(
                PaymentLineRow(
                    rid,
                    r["kind"],
                    r["ref"],
                    int(r["amount"]),
                    _moment(r["at"]),
                    r["state"],
                    _moment(settled) if settled is not None else None,
                )
            )
    return invoices, payments


@dataclass(frozen=True, slots=True)
class AgedBuckets:
    currency: str
    current: int
    days_31_60: int
    days_61_90: int
    over_90: int
    invoices: int


async def aged_debt(
    practice_id: PracticeId, today: date, patient_ids: Collection[UUID] | None = None
) -> list[AgedBuckets]:
    """Outstanding (total - paid - credited) of the practice's open invoices by days past their
    due date (issue date when none), on the practice's day ``today``: one aggregate, over
    ``patient_ids`` only unless None (all the practice's)."""
    found = await aged_debts([(practice_id, today, None)], patient_ids)
    return found.get(practice_id, [])


async def aged_debts(
    as_of: Sequence[tuple[PracticeId, date, datetime | None]],
    patient_ids: Collection[UUID] | None = None,
) -> dict[UUID, list[AgedBuckets]]:
    """``aged_debt`` of several practices in one aggregate, each aged at its own day (its own
    calendar: practices may keep different clocks) and, when an instant is given, counting only
    invoices issued before it; over ``patient_ids`` only unless None. Boundaries are dates
    computed from each day, so the SQL is the same on both backends."""
    if not as_of or (patient_ids is not None and not patient_ids):
        return {}
    sql = Statement(_conn(None))
    ages = ", ".join(
        f"({sql.param(p, cast='uuid')}, "
        + ", ".join(sql.param(day - timedelta(days=n), cast="date") for n in (30, 60, 90))
        + f", {sql.param(before, cast='timestamptz')})"
        for p, day, before in as_of
    )
    due = (
        "COALESCE(i.due_on, i.tax_point, CAST(i.issued_at AS DATE))"
        if sql.postgres
        else "COALESCE(i.due_on, i.tax_point, substr(i.issued_at, 1, 10))"
    )
    owed = "(i.total_minor - i.paid_minor - i.credited_minor)"
    among = (
        ""
        if patient_ids is None
        else f" AND {sql.within('i.patient_id', sorted(patient_ids, key=str))}"
    )
    statement = f"""
    WITH v(p, d30, d60, d90, e) AS (VALUES {ages})
    SELECT v.p AS practice_id, i.currency AS currency,
      COALESCE(SUM(CASE WHEN {due} >= v.d30 THEN {owed} ELSE 0 END), 0) AS b0,
      COALESCE(SUM(CASE WHEN {due} < v.d30 AND {due} >= v.d60 THEN {owed} ELSE 0 END), 0) AS b1,
      COALESCE(SUM(CASE WHEN {due} < v.d60 AND {due} >= v.d90 THEN {owed} ELSE 0 END), 0) AS b2,
      COALESCE(SUM(CASE WHEN {due} < v.d90 THEN {owed} ELSE 0 END), 0) AS b3,
      COUNT(*) AS n
    FROM v JOIN invoice i ON i.practice_id = v.p
    WHERE i.kind = 'INVOICE' AND i.status IN ('ISSUED', 'PARTIALLY_PAID')
      AND (v.e IS NULL OR i.issued_at < v.e){among}
    GROUP BY v.p, i.currency ORDER BY v.p, i.currency
    """  # noqa: S608 (fixed column expressions and placeholders only)
    found: dict[UUID, list[AgedBuckets]] = {}
    for r in await sql.rows(statement):
        found.setdefault(UUID(str(r["practice_id"])), []).append(
            AgedBuckets(
                r["currency"], int(r["b0"]), int(r["b1"]), int(r["b2"]), int(r["b3"]), int(r["n"])
            )
        )
    return found


async def day_payments(practice_id: PracticeId, start: datetime, end: datetime) -> list[Payment]:
    return await Payment.filter(
        practice_id=practice_id, status="SUCCEEDED", received_at__gte=start, received_at__lt=end
    ).order_by("received_at", "id")


async def day_invoices(practice_id: PracticeId, start: datetime, end: datetime) -> list[Invoice]:
    return await Invoice.filter(
        practice_id=practice_id, issued_at__gte=start, issued_at__lt=end
    ).order_by("issued_at", "id")


async def reconciliations(
    practice_id: PracticeId, first: int, after: tuple[datetime, UUID] | None
) -> list[CashReconciliation]:
    """Newest count first; one more than ``first`` (to tell whether a next page exists)."""
    query = CashReconciliation.filter(practice_id=practice_id)
    if after is not None:
        created, rid = after
        query = query.filter(Q(created_at__lt=created) | Q(created_at=created, id__lt=rid))
    return list(await query.order_by("-created_at", "-id").limit(first + 1))


async def roles_in_practice(practice_id: PracticeId, user_id: UUID) -> list[str]:
    """The roles a user holds in a practice (an approver's standing)."""
    rows = await Membership.filter(practice_id=practice_id, user_id=user_id)
    return [r.role for r in rows]


async def reference_taken(processor: str, reference: str, connection: BaseDBAsyncClient) -> bool:
    """Whether a processor reference is recorded already (unique across practices: a processor
    id names one payment)."""
    return (
        await Payment.filter(processor=processor, processor_reference=reference)
        .using_db(connection)
        .exists()
    )


async def open_invoice_patients(
    practice_id: PracticeId, patient_ids: Collection[UUID]
) -> set[UUID]:
    """Which of these patients have an open invoice (the demo pays some of them)."""
    if not patient_ids:
        return set()
    rows = await Invoice.filter(
        practice_id=practice_id, patient_id__in=list(patient_ids), kind="INVOICE", status__in=OPEN
    ).values_list("patient_id", flat=True)
    return {UUID(str(r)) for r in rows}


async def upcoming_appointments(
    practice_id: PracticeId, patient_ids: Collection[UUID], after: datetime, limit: int
) -> list[Appointment]:
    """Booked appointments of these patients after ``after`` (the demo takes deposits on some)."""
    if not patient_ids:
        return []
    return list(
        await Appointment.filter(
            practice_id=practice_id,
            patient_id__in=list(patient_ids),
            status__in=("BOOKED", "CONFIRMED"),
            starts_at__gt=after,
        )
        .order_by("starts_at")
        .limit(limit)
    )
