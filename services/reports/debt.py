"""Aged debt for a practice or an organisation's practices, as of the period's last day (or
today, when the period runs past today), each practice on its own calendar, and combined.

Definitions (printed in the schema too), the billing aged debt's rules
(``db.queries.payments.aged_debts``, the same aggregate the practice's ``agedDebt`` answers):
- what is owed on an invoice: total − paid − credited as the ledger stands at the time of the
  read, for invoices (kind INVOICE) now ISSUED or PARTIALLY_PAID and issued before the end of
  the as-of day;
- its age: days from its due date (its tax point, else its issue date, when it has none) to
  the as-of day: 0-30 (including not yet due), 31-60, 61-90, over 90;
- as-of day: the period's last day, or the practice's today when that is earlier.
A past as-of day ages today's balances: an invoice settled since is no longer counted.
One aggregate for every practice counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from db.queries import payments as payment_queries
from services.principal import Principal
from services.reports import periods, reach, series
from services.reports.reach import PracticeCalendar
from services.reports.sums import EMPTY, Sums

NAME = "agedDebt"
WIDTH = 5  # 0-30, 31-60, 61-90, over 90, open invoices


@dataclass(frozen=True, slots=True)
class Line:
    currency: str
    days_0_30_minor: int
    days_31_60_minor: int
    days_61_90_minor: int
    over_90_minor: int
    invoices: int

    @property
    def total_minor(self) -> int:
        return (
            self.days_0_30_minor
            + self.days_31_60_minor
            + self.days_61_90_minor
            + (self.over_90_minor)
        )


@dataclass(frozen=True, slots=True)
class AgedDebt:
    """Keyed (currency,); ``as_of`` the practice's day (combined: the latest of them)."""

    sums: Sums = EMPTY
    as_of: date | None = None

    def __add__(self, other: AgedDebt) -> AgedDebt:
        days = [d for d in (self.as_of, other.as_of) if d is not None]
        return AgedDebt(self.sums + other.sums, max(days) if days else None)

    def lines(self) -> list[Line]:
        return [Line(k[0], *v) for k, v in self.sums.rows]


def as_of(found: periods.Period, practice: PracticeCalendar, now: datetime) -> date:
    return min(found.last_day, now.astimezone(practice.zone).date())


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[AgedDebt]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    now = datetime.now(UTC)
    days = {p.practice_id: as_of(found, p, now) for p in where.practices}
    owed = await payment_queries.aged_debts(
        [
            (
                p.practice_id,
                days[p.practice_id],
                periods.local_midnight(days[p.practice_id] + timedelta(days=1), p.zone),
            )
            for p in where.practices
        ]
    )

    def figure_of(practice: PracticeCalendar) -> AgedDebt:
        rows = owed.get(practice.practice_id, [])
        sums = Sums.of(
            {
                (r.currency,): (r.current, r.days_31_60, r.days_61_90, r.over_90, r.invoices)
                for r in rows
            }
        )
        return AgedDebt(sums, days[practice.practice_id])

    return series.snapshot(NAME, where, found, figure_of, AgedDebt())
