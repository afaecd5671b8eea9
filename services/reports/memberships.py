"""Membership plans: members at each bucket's end per plan, the monthly recurring revenue they
bring, and who joined and left in the bucket.

Definitions (printed in the schema too). A membership runs from ``started_on`` to ``ended_on``
(its last day, inclusive; open while none), days of the practice's calendar:
- joined: memberships whose first day falls in the bucket;
- left: memberships whose last day falls in the bucket;
- active: memberships in force at the bucket's end: started on or before its last day and not
  ended by then (no last day, or one after the bucket). So active at a bucket's end = active
  at the previous end + joined − left, exactly; a period's active is its last bucket's;
- monthly recurring revenue (MRR): the sum of the monthly fees of the active memberships, at
  each plan's monthly fee as it stands now, per currency.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries import report_memberships
from db.queries.report_memberships import OPENING
from services.principal import Principal
from services.reports import periods, reach, series
from services.reports.reach import PracticeCalendar
from services.reports.sums import EMPTY, Key, Sums, running

NAME = "memberships"
PLAN_ID, PLAN_NAME, CURRENCY, FEE = range(4)


@dataclass(frozen=True, slots=True)
class Line:
    """One plan (``plan_id`` and name set) or all plans of a currency (both None)."""

    plan_id: UUID | None
    plan_name: str | None
    currency: str
    monthly_fee_minor: int | None
    joined: int
    left: int
    active: int
    recurring_minor: int


@dataclass(frozen=True, slots=True)
class Memberships:
    """Keyed (plan id, plan name, currency, monthly fee): ``moves`` (joined, left) in the
    bucket, ``active`` (members, monthly recurring revenue) at its end."""

    moves: Sums = EMPTY
    active: Sums = EMPTY

    def __add__(self, other: Memberships) -> Memberships:
        return Memberships(self.moves + other.moves, self.active + other.active)

    def _lines(self, positions: tuple[int, ...]) -> list[Line]:
        moves, active = self.moves.by(*positions), self.active.by(*positions)
        keys = sorted({k for k, _ in moves.rows} | {k for k, _ in active.rows})
        out = []
        for k in keys:
            joined, left = moves.get(k, 2)
            members, recurring = active.get(k, 2)
            if not (joined or left or members):
                continue
            if len(k) == 1:
                out.append(Line(None, None, k[0], None, joined, left, members, recurring))
            else:
                out.append(
                    Line(UUID(k[0]), k[1], k[2], int(k[3]), joined, left, members, recurring)
                )
        return out

    def by_plan(self) -> list[Line]:
        return sorted(
            self._lines((PLAN_ID, PLAN_NAME, CURRENCY, FEE)),
            key=lambda x: (x.plan_name or "", str(x.plan_id)),
        )

    def totals(self) -> list[Line]:
        return self._lines((CURRENCY,))


def _key(row: report_memberships.MembershipRow) -> Key:
    return (str(row.plan_id), row.plan_name, row.currency, str(row.monthly_fee_minor))


def _valued(members: Sums) -> Sums:
    """(members,) per plan → (members, members × monthly fee)."""
    return Sums(tuple((k, (v[0], v[0] * int(k[FEE]))) for k, v in members.rows))


async def report(
    principal: Principal,
    *,
    practice_id: UUID | None,
    organization_id: UUID | None,
    first_day: date,
    last_day: date,
    grouping: str,
) -> series.Report[Memberships]:
    found = periods.period(first_day, last_day, grouping)
    where = await reach.of(principal, practice_id=practice_id, organization_id=organization_id)
    days = [
        (p.practice_id, b.index, b.first_day, b.last_day)
        for p in where.practices
        for b in periods.buckets(found, p.zone)
    ]
    rows = await report_memberships.moves(days)
    opening: dict[UUID, list[tuple[Key, tuple[int]]]] = {}
    moved: dict[tuple[UUID, int], list[tuple[Key, tuple[int, int]]]] = {}
    for r in rows:
        if r.bucket == OPENING:
            opening.setdefault(r.practice_id, []).append((_key(r), (r.count,)))
        else:
            joined, left = (r.count, 0) if r.move == "JOINED" else (0, r.count)
            moved.setdefault((r.practice_id, r.bucket), []).append((_key(r), (joined, left)))
    figures: dict[tuple[UUID, int], Memberships] = {}
    totals: dict[UUID, Memberships] = {}
    for practice in where.practices:
        pid = practice.practice_id
        cut = periods.buckets(found, practice.zone)
        flows = [Sums.adding(moved.get((pid, b.index), [])) for b in cut]
        changes = [Sums(tuple((k, (v[0] - v[1],)) for k, v in f.rows)) for f in flows]
        levels = running(Sums.adding(opening.get(pid, [])), changes)
        for b, flow, level in zip(cut, flows, levels, strict=True):
            figures[(pid, b.index)] = Memberships(flow, _valued(level))
        totals[pid] = Memberships(
            Sums.adding(r for f in flows for r in f.rows), _valued(levels[-1])
        )

    def total_of(practice: PracticeCalendar) -> Memberships:
        return totals[practice.practice_id]

    return series.assemble(NAME, where, found, figures, Memberships(), total_of=total_of)
