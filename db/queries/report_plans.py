"""The treatment-plan acceptance aggregate: plan versions created in each bucket (each version
is put to the patient and answered on its own: PROPOSED moves only to ACCEPTED or DECLINED), with
what has become of them so far and their value (the sum of their items' fees). One statement,
answered from the ``(practice_id, created_at)`` index of ``treatment_plan`` and the items'
``plan_version_id`` index. A version without items (a plan still empty) is not a proposal.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.queries.report_takings import Buckets


@dataclass(frozen=True, slots=True)
class PlanRow:
    practice_id: UUID
    bucket: int
    proposed: int
    proposed_pence: int
    accepted: int
    accepted_pence: int
    completed: int
    completed_pence: int
    declined: int
    declined_pence: int


async def acceptance(buckets: Buckets) -> list[PlanRow]:
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    statement = f"""
    WITH {cte}
    SELECT v.p AS practice_id, v.i AS i,
      COUNT(*) AS proposed, SUM(v.fees) AS proposed_pence,
      SUM(CASE WHEN v.accepted_at IS NOT NULL THEN 1 ELSE 0 END) AS accepted,
      SUM(CASE WHEN v.accepted_at IS NOT NULL THEN v.fees ELSE 0 END) AS accepted_pence,
      SUM(CASE WHEN v.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS completed,
      SUM(CASE WHEN v.completed_at IS NOT NULL THEN v.fees ELSE 0 END) AS completed_pence,
      SUM(CASE WHEN v.declined_at IS NOT NULL THEN 1 ELSE 0 END) AS declined,
      SUM(CASE WHEN v.declined_at IS NOT NULL THEN v.fees ELSE 0 END) AS declined_pence
    FROM (
      SELECT b.p AS p, b.i AS i, t.id AS id, t.accepted_at AS accepted_at,
        t.completed_at AS completed_at, t.declined_at AS declined_at,
        SUM(x.fee_pence) AS fees
      FROM b JOIN treatment_plan t
        ON t.practice_id = b.p AND t.created_at >= b.s AND t.created_at < b.e
      JOIN treatment_plan_item x ON x.plan_version_id = t.id
      GROUP BY b.p, b.i, t.id, t.accepted_at, t.completed_at, t.declined_at
    ) v
    GROUP BY v.p, v.i
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        PlanRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            int(r["proposed"] or 0),
            int(r["proposed_pence"] or 0),
            int(r["accepted"] or 0),
            int(r["accepted_pence"] or 0),
            int(r["completed"] or 0),
            int(r["completed_pence"] or 0),
            int(r["declined"] or 0),
            int(r["declined_pence"] or 0),
        )
        for r in await sql.rows(statement)
    ]
