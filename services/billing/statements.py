"""A patient's account: what they owe, their credit, and a statement with a running balance.

Balance = issued invoices - credit notes - payments and deposits received + refunds + deposits
forfeited (a forfeited deposit is the practice's: it no longer counts for the patient). Positive
means the patient owes; negative means the practice holds their money. Credit on account is the
unallocated part of payments (and of applied deposits); deposits still HELD for a booking are
shown apart.

Reading an account needs billing:read in the patient's practice (clinicians, front desk,
practice and organisation admins, or a partner app granted it) or being the patient (their own,
in the portal); the patient is found through ``services.visibility`` like every other read (a
partner app only while the patient shares data with it; otherwise NOT_FOUND like a random id),
and each read is audited by the graph (``AuditReads``, entity ``PatientAccount``). The totals
are one SQL statement; a statement is two (invoices and payments up to its end), merged and
balanced in memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID

from db.models import Patient
from db.queries import payments as queries
from db.tenancy import PracticeId
from services import tenant_gate
from services.billing import settings as billing_settings
from services.billing.payments import patient_for_billing
from services.errors import ValidationFailed
from services.policy import Scope
from services.principal import Principal

MAX_DAYS = 3700


class LineKind(StrEnum):
    INVOICE = "INVOICE"
    CREDIT_NOTE = "CREDIT_NOTE"
    PAYMENT = "PAYMENT"
    DEPOSIT = "DEPOSIT"
    REFUND = "REFUND"
    DEPOSIT_FORFEITED = "DEPOSIT_FORFEITED"


@dataclass(frozen=True, slots=True)
class Account:
    patient: Patient
    practice_id: PracticeId
    currency: str
    totals: queries.AccountTotals


@dataclass(frozen=True, slots=True)
class Line:
    at: datetime
    kind: LineKind
    entity_id: UUID
    reference: str | None
    amount_minor: int  # + adds to what the patient owes, - reduces it
    balance_minor: int


@dataclass(frozen=True, slots=True)
class Statement:
    currency: str
    opening_minor: int
    closing_minor: int
    lines: list[Line]


async def account(principal: Principal, *, patient_id: UUID) -> Account:
    patient = await patient_for_billing(
        principal, patient_id, Scope.BILLING_READ, "READ patient_account"
    )
    pid = tenant_gate.practice_of(patient)
    totals = await queries.account_totals(pid, UUID(str(patient.id)))
    currency = (await billing_settings.of(pid)).currency
    return Account(patient, pid, currency, totals)


def _bounds(start: date | None, end: date | None) -> tuple[datetime | None, datetime]:
    until = datetime.combine((end or datetime.now(UTC).date()) + timedelta(days=1), time(), UTC)
    since = datetime.combine(start, time(), UTC) if start is not None else None
    if since is not None and since >= until:
        raise ValidationFailed("`from` must be on or before `to`.", field="from")
    if since is not None and (until - since).days > MAX_DAYS:
        raise ValidationFailed("A statement covers at most ten years.", field="from")
    return since, until


async def statement(
    practice_id: PracticeId, patient_id: UUID, start: date | None, end: date | None, currency: str
) -> Statement:
    """Every line up to ``end`` balanced in order; those from ``start`` on are shown, the rest
    make the opening balance. (Called for an account already read through :func:`account`.)"""
    since, until = _bounds(start, end)
    invoices, payments = await queries.statement_rows(practice_id, patient_id, until)
    raw: list[tuple[datetime, LineKind, UUID, str | None, int]] = []
    for inv in invoices:
        assert inv.issued_at is not None
        credit = inv.kind == "CREDIT_NOTE"
        raw.append(
            (
                inv.issued_at,
                LineKind.CREDIT_NOTE if credit else LineKind.INVOICE,
                UUID(str(inv.id)),
                inv.number,
                -inv.total_minor if credit else inv.total_minor,
            )
        )
    for pay in payments:
        kind = LineKind(pay.kind)
        sign = 1 if kind is LineKind.REFUND else -1
        raw.append((pay.received_at, kind, UUID(str(pay.id)), pay.method, sign * pay.amount_minor))
        settled = pay.deposit_settled_at
        if pay.deposit_state == "FORFEITED" and settled is not None and settled < until:
            raw.append(
                (
                    settled,
                    LineKind.DEPOSIT_FORFEITED,
                    UUID(str(pay.id)),
                    pay.method,
                    pay.amount_minor,
                )
            )
    raw.sort(key=lambda r: (r[0], str(r[2]), r[1].value))
    balance = opening = 0
    lines: list[Line] = []
    for at, kind, entity, reference, amount in raw:
        balance += amount
        if since is not None and at < since:
            opening = balance
            continue
        lines.append(Line(at, kind, entity, reference, amount, balance))
    return Statement(currency, opening, balance, lines)
