"""Takings: money received in each bucket less money paid back, by payment method and by
practitioner, per currency, and the average transaction value.

Definitions (printed in the schema too), the day sheet's rules (``services.billing.day_sheet``)
over any bucket of the practice's days:
- received: payments and deposits (kinds PAYMENT, DEPOSIT) with status SUCCEEDED whose
  ``received_at`` falls in the bucket, at their full amount (a deposit counts when taken, not
  again when applied to an invoice; a payment under an open card dispute is DISPUTED and not
  counted until the dispute is won, or lost and returned by a REFUND row);
- refunded: refunds (kind REFUND, SUCCEEDED) paid out in the bucket, by their own
  ``received_at``; net = received − refunded;
- by practitioner: the practitioner recorded on the payment row (chosen when a payment is taken;
  a deposit's is its appointment's practitioner; a refund carries its payment's), none when
  none was recorded;
- average transaction value: net ÷ payments received (a count of the PAYMENT and DEPOSIT rows),
  rounded half away from zero to the minor unit; computed from the summed net and count, so a
  combined or whole-period average is never an average of averages.
Amounts are integer minor units per currency; currencies never mix.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_takings
from services.billing.money import round_half_up
from services.principal import Principal
from services.reports import periods, reach, series
from services.reports.sums import EMPTY, Key, Sums

NAME = "takings"
WIDTH = 4  # received, refunded, payments, refunds
METHOD, WHO, WHO_NAME, CURRENCY = range(4)


@dataclass(frozen=True, slots=True)
class Line:
    """Takings under one key (a method; a practitioner id and name; or nothing: all) in one
    currency."""

    key: Key
    currency: str
    received_minor: int
    refunded_minor: int
    payments: int
    refunds: int

    @property
    def net_minor(self) -> int:
        return self.received_minor - self.refunded_minor

    @property
    def average_minor(self) -> int | None:
        """Net ÷ payments, rounded half away from zero; none without payments."""
        return None if self.payments == 0 else round_half_up(self.net_minor, self.payments)


@dataclass(frozen=True, slots=True)
class Takings:
    """Keyed (method, practitioner id or "", practitioner name or "", currency)."""

    lines: Sums = EMPTY

    def __add__(self, other: Takings) -> Takings:
        return Takings(self.lines + other.lines)

    @classmethod
    def sum_of(cls, items: Iterable[Takings]) -> Takings:
        return cls(Sums.sum_of(i.lines for i in items))

    def _view(self, *positions: int) -> list[Line]:
        return [Line(k[:-1], k[-1], *v) for k, v in self.lines.by(*positions, CURRENCY).rows]

    def totals(self) -> list[Line]:
        return self._view()

    def by_method(self) -> list[Line]:
        return self._view(METHOD)

    def by_practitioner(self) -> list[Line]:
        """By name (unattributed last), then id and currency."""
        return sorted(
            self._view(WHO, WHO_NAME), key=lambda x: (x.key[0] == "", x.key[1], x.key, x.currency)
        )


def figures_of(rows: list[report_takings.TakingsRow]) -> dict[tuple[UUID, int], Takings]:
    by_bucket: dict[tuple[UUID, int], list[tuple[Key, tuple[int, ...]]]] = {}
    for r in rows:
        key = (
            r.method,
            "" if r.practitioner_id is None else str(r.practitioner_id),
            r.practitioner_name or "",
            r.currency,
        )
        values = (r.received_minor, r.refunded_minor, r.payments, r.refunds)
        by_bucket.setdefault((r.practice_id, r.bucket), []).append((key, values))
    return {k: Takings(Sums.adding(v)) for k, v in by_bucket.items()}


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[Takings]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    rows = await report_takings.takings(series.bounds(where, found))
    return series.assemble(NAME, where, found, figures_of(rows), Takings())
