"""A practice's day sheet: what was taken (by method and by practitioner) and what was invoiced,
for one calendar day in the practice's time zone.

Taken = payments and deposits received that day less refunds paid out that day; invoiced =
invoices issued that day less credit notes issued that day. Amounts are per currency (a practice
bills in one; a second currency gets its own rows). billing:read in the practice, staff only:
the day's takings are every payer's, so a partner app is refused (FORBIDDEN, audited) rather
than shown a filtered day (``report_access.staff_practice``); patients answer NOT_FOUND.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from db.models import Payment
from db.queries import payments as queries
from db.tenancy import PracticeId
from services.billing.aged_debt import practice_day
from services.billing.report_access import staff_practice
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Takings:
    key: str  # a method, or a practitioner id ("" for none)
    currency: str
    taken_minor: int
    refunded_minor: int
    count: int

    @property
    def net_minor(self) -> int:
        return self.taken_minor - self.refunded_minor


@dataclass(frozen=True, slots=True)
class DaySheet:
    practice_id: PracticeId
    day: date
    currency: str
    by_method: list[Takings]
    by_practitioner: list[Takings]
    taken_minor: int
    invoiced_minor: int
    credited_minor: int
    invoices: int


def day_span(zone: ZoneInfo, day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(), zone)
    return start, datetime.combine(day + timedelta(days=1), time(), zone)


def _group(payments: list[Payment], key: str) -> list[Takings]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for p in payments:
        value = getattr(p, key)
        entry = sums[(str(value) if value is not None else "", p.currency)]
        if p.kind == "REFUND":
            entry[1] += p.amount_minor
        else:
            entry[0] += p.amount_minor
        entry[2] += 1
    return [Takings(k, c, v[0], v[1], v[2]) for (k, c), v in sorted(sums.items())]


def cash_expected(payments: list[Payment], currency: str) -> int:
    return sum(
        (-p.amount_minor if p.kind == "REFUND" else p.amount_minor)
        for p in payments
        if p.method == "CASH" and p.currency == currency
    )


async def day_sheet(principal: Principal, *, practice_id: UUID, day: date | None) -> DaySheet:
    pid = await staff_practice(principal, practice_id, action="READ day_sheet")
    return await sheet_of(pid, day)


async def sheet_of(pid: PracticeId, day: date | None) -> DaySheet:
    from services.billing import settings as billing_settings

    zone, today = await practice_day(pid)
    wanted = day or today
    start, end = day_span(zone, wanted)
    payments = await queries.day_payments(pid, start, end)
    invoices = await queries.day_invoices(pid, start, end)
    currency = (await billing_settings.of(pid)).currency
    taken = sum(
        (-p.amount_minor if p.kind == "REFUND" else p.amount_minor)
        for p in payments
        if p.currency == currency
    )
    invoiced = sum(
        i.total_minor for i in invoices if i.kind == "INVOICE" and i.currency == currency
    )
    credited = sum(
        i.total_minor for i in invoices if i.kind == "CREDIT_NOTE" and i.currency == currency
    )
    return DaySheet(
        pid,
        wanted,
        currency,
        _group(payments, "method"),
        _group(payments, "practitioner_id"),
        taken,
        invoiced,
        credited,
        sum(1 for i in invoices if i.kind == "INVOICE"),
    )


async def cash_of_day(pid: PracticeId, day: date, currency: str) -> int:
    zone, _ = await practice_day(pid)
    start, end = day_span(zone, day)
    return cash_expected(await queries.day_payments(pid, start, end), currency)
