"""Deposits: taken, applied, refunded and forfeited in each bucket, and held at its end.

Definitions (printed in the schema too). A deposit is a payment of kind DEPOSIT with status
SUCCEEDED, held from when it was received (``received_at``) until it left the hold
(``deposit_settled_at``: applied to an invoice, forfeited to the practice, or refunded):
- taken: deposits received in the bucket (count and amount);
- applied / refunded / forfeited: deposits that left the hold in the bucket that way (a
  forfeit is a late cancellation or a missed appointment under FORFEIT_LATE_OR_DNA);
- held: deposits received before the bucket's end and not yet out of the hold then (count and
  amount): the level when the period starts plus every bucket's taken less applied, refunded
  and forfeited up to this one; a period's held is its last bucket's.
Amounts are each deposit's full amount, per currency, integer minor units. A deposit no longer
held without a recorded settling time is counted nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_deposits
from db.queries.report_deposits import OPENING
from services.principal import Principal
from services.reports import periods, reach, series
from services.reports.reach import PracticeCalendar
from services.reports.sums import EMPTY, Key, Sums, running

NAME = "deposits"
MOVES = ("TAKEN", "APPLIED", "REFUNDED", "FORFEITED")
WIDTH = 2 * len(MOVES)  # (count, amount) for each move


@dataclass(frozen=True, slots=True)
class Line:
    currency: str
    taken: int
    taken_minor: int
    applied: int
    applied_minor: int
    refunded: int
    refunded_minor: int
    forfeited: int
    forfeited_minor: int
    held: int
    held_minor: int


@dataclass(frozen=True, slots=True)
class Deposits:
    """``moves`` keyed (currency,) (count, amount) per move in ``MOVES`` order; ``held``
    keyed (currency,) (count, amount) at the end."""

    moves: Sums = EMPTY
    held: Sums = EMPTY

    def __add__(self, other: Deposits) -> Deposits:
        return Deposits(self.moves + other.moves, self.held + other.held)

    def lines(self) -> list[Line]:
        currencies = sorted({k for k, _ in self.moves.rows} | {k for k, _ in self.held.rows})
        return [
            Line(k[0], *self.moves.get(k, WIDTH), *self.held.get(k, 2))
            for k in currencies
            if any(self.moves.get(k, WIDTH)) or any(self.held.get(k, 2))
        ]


def _change(moves: Sums) -> Sums:
    """Taken less what left the hold, as (count, amount)."""
    return Sums.adding(
        (k, (v[0] - v[2] - v[4] - v[6], v[1] - v[3] - v[5] - v[7])) for k, v in moves.rows
    )


def _moves(row: report_deposits.DepositRow) -> tuple[Key, list[int]]:
    values = [0] * WIDTH
    at = 2 * MOVES.index(row.move)
    values[at], values[at + 1] = row.count, row.amount_minor
    return (row.currency,), values


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[Deposits]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    rows = await report_deposits.deposits(series.bounds(where, found))
    opening: dict[UUID, list[tuple[Key, tuple[int, int]]]] = {}
    moved: dict[tuple[UUID, int], list[tuple[Key, list[int]]]] = {}
    for r in rows:
        if r.bucket == OPENING:
            opening.setdefault(r.practice_id, []).append(((r.currency,), (r.count, r.amount_minor)))
        elif r.move in MOVES:
            moved.setdefault((r.practice_id, r.bucket), []).append(_moves(r))
    figures: dict[tuple[UUID, int], Deposits] = {}
    totals: dict[UUID, Deposits] = {}
    for practice in where.practices:
        pid = practice.practice_id
        cut = periods.buckets(found, practice.zone)
        flows = [Sums.adding(moved.get((pid, b.index), [])) for b in cut]
        levels = running(Sums.adding(opening.get(pid, [])), [_change(f) for f in flows])
        for b, flow, level in zip(cut, flows, levels, strict=True):
            figures[(pid, b.index)] = Deposits(flow, level)
        totals[pid] = Deposits(Sums.adding(r for f in flows for r in f.rows), levels[-1])

    def total_of(practice: PracticeCalendar) -> Deposits:
        return totals[practice.practice_id]

    return series.assemble(NAME, where, found, figures, Deposits(), total_of=total_of)
