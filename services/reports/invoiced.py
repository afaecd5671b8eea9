"""Invoiced vs taken: what the practice billed in each bucket against what it took.

Definitions (printed in the schema too):
- invoiced: the totals (VAT included) of invoices (kind INVOICE) whose ``issued_at`` falls in
  the bucket, whatever became of them since (a voided invoice was still issued);
- credited: the totals of credit notes issued in the bucket (whichever bucket their invoice
  was issued in); net invoiced = invoiced − credited;
- net taken: takings' net (payments and deposits received less refunds paid out, SUCCEEDED,
  by ``received_at``), the same figure as the takings report;
- difference: net invoiced − net taken (positive: more billed than collected in the bucket).
Per currency, integer minor units.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_takings
from services.principal import Principal
from services.reports import periods, reach, series
from services.reports.sums import EMPTY, Key, Sums

NAME = "invoicedVsTaken"
# kind of row → its two columns (amount, count) in the figure's vector
COLUMNS = {"INVOICE": 0, "CREDIT_NOTE": 2, "PAYMENT": 4, "DEPOSIT": 4, "REFUND": 6}
WIDTH = 8


@dataclass(frozen=True, slots=True)
class Line:
    currency: str
    invoiced_minor: int
    invoices: int
    credited_minor: int
    credit_notes: int
    received_minor: int
    payments: int
    refunded_minor: int
    refunds: int

    @property
    def net_invoiced_minor(self) -> int:
        return self.invoiced_minor - self.credited_minor

    @property
    def net_taken_minor(self) -> int:
        return self.received_minor - self.refunded_minor

    @property
    def difference_minor(self) -> int:
        return self.net_invoiced_minor - self.net_taken_minor


@dataclass(frozen=True, slots=True)
class InvoicedVsTaken:
    """Keyed (currency,): invoiced, invoices, credited, credit notes, received, payments,
    refunded, refunds."""

    sums: Sums = EMPTY

    def __add__(self, other: InvoicedVsTaken) -> InvoicedVsTaken:
        return InvoicedVsTaken(self.sums + other.sums)

    @classmethod
    def sum_of(cls, items: Iterable[InvoicedVsTaken]) -> InvoicedVsTaken:
        return cls(Sums.sum_of(i.sums for i in items))

    def lines(self) -> list[Line]:
        return [Line(k[0], *v) for k, v in self.sums.rows]


def figures_of(rows: list[report_takings.IssuedRow]) -> dict[tuple[UUID, int], InvoicedVsTaken]:
    by_bucket: dict[tuple[UUID, int], list[tuple[Key, list[int]]]] = {}
    for r in rows:
        column = COLUMNS.get(r.kind)
        if column is None:
            continue
        values = [0] * WIDTH
        values[column], values[column + 1] = r.amount_minor, r.count
        by_bucket.setdefault((r.practice_id, r.bucket), []).append(((r.currency,), values))
    return {k: InvoicedVsTaken(Sums.adding(v)) for k, v in by_bucket.items()}


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[InvoicedVsTaken]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    rows = await report_takings.invoiced_and_taken(series.bounds(where, found))
    return series.assemble(NAME, where, found, figures_of(rows), InvoicedVsTaken())
