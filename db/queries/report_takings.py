"""The money reports' aggregates over payments and invoices: one statement per report, grouped
by practice and bucket (``report_sql``), answered from the ``(practice_id, received_at)`` and
``(practice_id, issued_at)`` indexes.

Takings count the rows the day sheet counts (``services.billing.day_sheet``): payments of kind
PAYMENT or DEPOSIT received (status SUCCEEDED) less refunds (kind REFUND, SUCCEEDED) paid out,
each by its ``received_at``, its method and the practitioner recorded on the row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId

Buckets = Sequence[tuple[PracticeId, int, datetime, datetime]]

RECEIVED = "pay.kind IN ('PAYMENT', 'DEPOSIT')"
# A row of the bucket (each bucket one range scan of the practice's time index, ``in_buckets``).
PAID_IN = "pay.practice_id = b.p AND pay.received_at >= b.s AND pay.received_at < b.e"
ISSUED_IN = "inv.practice_id = b.p AND inv.issued_at >= b.s AND inv.issued_at < b.e"


@dataclass(frozen=True, slots=True)
class TakingsRow:
    practice_id: UUID
    bucket: int
    currency: str
    method: str
    practitioner_id: UUID | None
    practitioner_name: str | None
    received_minor: int
    refunded_minor: int
    payments: int
    refunds: int


def _uuid(value: object) -> UUID | None:
    return None if value is None else identifier(value)


async def takings(buckets: Buckets) -> list[TakingsRow]:
    """Received and refunded per (practice, bucket, currency, method, practitioner)."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i, pay.currency AS currency, pay.method AS method,
      pay.practitioner_id AS who, pr.display_name AS name,
      SUM(CASE WHEN {RECEIVED} THEN pay.amount_minor ELSE 0 END) AS received,
      SUM(CASE WHEN pay.kind = 'REFUND' THEN pay.amount_minor ELSE 0 END) AS refunded,
      SUM(CASE WHEN {RECEIVED} THEN 1 ELSE 0 END) AS payments,
      SUM(CASE WHEN pay.kind = 'REFUND' THEN 1 ELSE 0 END) AS refunds
    FROM {sql.in_buckets("payment", "pay", f"{PAID_IN} AND pay.status = 'SUCCEEDED'")}
    LEFT JOIN practitioner pr ON pr.id = pay.practitioner_id AND pr.practice_id = pay.practice_id
    GROUP BY b.p, b.i, pay.currency, pay.method, pay.practitioner_id, pr.display_name
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        TakingsRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["currency"]),
            str(r["method"]),
            _uuid(r["who"]),
            None if r["name"] is None else str(r["name"]),
            int(r["received"] or 0),
            int(r["refunded"] or 0),
            int(r["payments"] or 0),
            int(r["refunds"] or 0),
        )
        for r in await sql.rows(statement)
    ]


@dataclass(frozen=True, slots=True)
class IssuedRow:
    """What was issued (kind INVOICE / CREDIT_NOTE) or received (PAYMENT, DEPOSIT, REFUND) in
    one bucket, in one currency: the sum and how many."""

    practice_id: UUID
    bucket: int
    kind: str
    currency: str
    amount_minor: int
    count: int


async def invoiced_and_taken(buckets: Buckets) -> list[IssuedRow]:
    """Invoices and credit notes issued, and payments, deposits and refunds received (SUCCEEDED),
    per (practice, bucket, currency, kind): one statement, two grouped scans."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i, inv.kind AS kind, inv.currency AS currency,
      SUM(inv.total_minor) AS amount, COUNT(inv.id) AS n
    FROM {sql.in_buckets("invoice", "inv", ISSUED_IN)}
    GROUP BY b.p, b.i, inv.kind, inv.currency
    UNION ALL
    SELECT b.p, b.i, pay.kind, pay.currency, SUM(pay.amount_minor), COUNT(pay.id)
    FROM {sql.in_buckets("payment", "pay", f"{PAID_IN} AND pay.status = 'SUCCEEDED'")}
    GROUP BY b.p, b.i, pay.kind, pay.currency
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        IssuedRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["kind"]),
            str(r["currency"]),
            int(r["amount"] or 0),
            int(r["n"] or 0),
        )
        for r in await sql.rows(statement)
    ]
