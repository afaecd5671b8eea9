"""The membership report's aggregate: per practice and plan, the members in force when the
period starts, and per bucket (local days, inclusive) those who joined (``started_on`` in it)
and those who left (``ended_on``, their last day, in it) — the service runs the member count
forward from these. One statement, answered from the ``(practice_id, started_on)`` and
``(practice_id, ended_on)`` indexes of ``patient_membership``; each row carries its plan's name,
monthly fee and currency as they stand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId

OPENING = -1

PLAN = "mp.id AS plan_id, mp.name AS name, mp.currency AS currency, mp.monthly_fee_minor AS fee"
PLAN_GROUP = "mp.id, mp.name, mp.currency, mp.monthly_fee_minor"


@dataclass(frozen=True, slots=True)
class MembershipRow:
    """``move`` is OPENING (in force on the day before the period; bucket -1), JOINED or LEFT."""

    practice_id: UUID
    bucket: int
    move: str
    plan_id: UUID
    plan_name: str
    currency: str
    monthly_fee_minor: int
    count: int


async def moves(buckets: Sequence[tuple[PracticeId, int, date, date]]) -> list[MembershipRow]:
    if not buckets:
        return []
    sql = Statement()
    cte = sql.day_buckets(buckets)
    statement = f"""
    WITH {cte}
    SELECT d.p AS practice_id, -1 AS i, 'OPENING' AS move, {PLAN}, COUNT(m.id) AS n
    FROM d JOIN patient_membership m ON m.practice_id = d.p AND d.i = 0 AND m.started_on < d.s
      AND (m.ended_on IS NULL OR m.ended_on >= d.s)
    JOIN membership_plan mp ON mp.id = m.plan_id
    GROUP BY d.p, {PLAN_GROUP}
    UNION ALL
    SELECT d.p, d.i, 'JOINED', {PLAN}, COUNT(m.id)
    FROM d JOIN patient_membership m
      ON m.practice_id = d.p AND m.started_on >= d.s AND m.started_on <= d.e
    JOIN membership_plan mp ON mp.id = m.plan_id
    GROUP BY d.p, d.i, {PLAN_GROUP}
    UNION ALL
    SELECT d.p, d.i, 'LEFT', {PLAN}, COUNT(m.id)
    FROM d JOIN patient_membership m
      ON m.practice_id = d.p AND m.ended_on >= d.s AND m.ended_on <= d.e
    JOIN membership_plan mp ON mp.id = m.plan_id
    GROUP BY d.p, d.i, {PLAN_GROUP}
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        MembershipRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["move"]),
            identifier(r["plan_id"]),
            str(r["name"]),
            str(r["currency"]),
            int(r["fee"]),
            int(r["n"] or 0),
        )
        for r in await sql.rows(statement)
    ]
