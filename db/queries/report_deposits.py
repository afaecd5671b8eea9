"""The deposits report's aggregate: one statement giving, per practice, the deposits held when
the period starts and, per bucket, the deposits taken and those that left the hold (applied,
forfeited or refunded) — the service runs the held level forward from these.

A deposit is a SUCCEEDED payment of kind DEPOSIT, held from ``received_at`` until
``deposit_settled_at`` (when it was applied, forfeited or refunded; never, while HELD). A deposit
no longer HELD without a settled time is left out everywhere, so the running level stays exact.
Answered from the ``(practice_id, kind, received_at)`` and ``(practice_id, deposit_settled_at)``
indexes.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.queries.report_takings import Buckets

OPENING = -1  # the bucket index of the level when the period starts
DEPOSIT = (
    "d.kind = 'DEPOSIT' AND d.status = 'SUCCEEDED'"
    " AND (d.deposit_state = 'HELD' OR d.deposit_settled_at IS NOT NULL)"
)


@dataclass(frozen=True, slots=True)
class DepositRow:
    """``move`` is OPENING (held at the period's start; bucket -1), TAKEN, or the state a
    deposit left the hold for (APPLIED, FORFEITED, REFUNDED)."""

    practice_id: UUID
    bucket: int
    move: str
    currency: str
    count: int
    amount_minor: int


async def deposits(buckets: Buckets) -> list[DepositRow]:
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, -1 AS i, 'OPENING' AS move, d.currency AS currency,
      COUNT(d.id) AS n, SUM(d.amount_minor) AS amount
    FROM b JOIN payment d ON d.practice_id = b.p AND b.i = 0 AND d.received_at < b.s
      AND (d.deposit_state = 'HELD' OR d.deposit_settled_at >= b.s)
    WHERE {DEPOSIT}
    GROUP BY b.p, d.currency
    UNION ALL
    SELECT b.p, b.i, 'TAKEN', d.currency, COUNT(d.id), SUM(d.amount_minor)
    FROM b JOIN payment d
      ON d.practice_id = b.p AND d.received_at >= b.s AND d.received_at < b.e
    WHERE {DEPOSIT}
    GROUP BY b.p, b.i, d.currency
    UNION ALL
    SELECT b.p, b.i, d.deposit_state, d.currency, COUNT(d.id), SUM(d.amount_minor)
    FROM b JOIN payment d
      ON d.practice_id = b.p AND d.deposit_settled_at >= b.s AND d.deposit_settled_at < b.e
    WHERE {DEPOSIT}
    GROUP BY b.p, b.i, d.deposit_state, d.currency
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        DepositRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["move"]),
            str(r["currency"]),
            int(r["n"] or 0),
            int(r["amount"] or 0),
        )
        for r in await sql.rows(statement)
    ]
