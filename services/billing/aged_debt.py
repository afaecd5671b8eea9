"""Aged debt: what a practice's patients owe on open invoices, by how long past due.

Buckets by days since the due date (the issue date when an invoice has none), on the
practice's own calendar day: 0-30 (including not yet due), 31-60, 61-90 and over 90. One SQL
aggregate per request (``db.queries.payments.aged_debt``); billing:read in the practice. Staff
see the whole practice; a partner app only the patients who share data with it right now, so
its figures never include a patient it may not see (``report_access``); patients are refused.
The read is audited by the graph (entity ``AgedDebt``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from db.queries import organizations
from db.queries import payments as queries
from db.tenancy import PracticeId
from services.billing.report_access import report_practice
from services.errors import NotFound
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class AgedDebt:
    practice_id: PracticeId
    as_of: date
    buckets: list[queries.AgedBuckets]


async def practice_day(practice_id: PracticeId) -> tuple[ZoneInfo, date]:
    practice = await organizations.practice([practice_id], practice_id)
    if practice is None:
        raise NotFound("Practice")
    zone = ZoneInfo(practice.timezone)
    return zone, datetime.now(zone).date()


async def aged_debt(principal: Principal, *, practice_id: UUID) -> AgedDebt:
    pid, only = await report_practice(principal, practice_id)
    _, today = await practice_day(pid)
    return AgedDebt(pid, today, await queries.aged_debt(pid, today, only))
