"""Bucket tables travel as one bound parameter per column, whatever their length: a two-year
daily roll-up of 20 practices (14,620 buckets, 58,480 values) exceeds PostgreSQL's 32,767
bound parameters per statement, and must still run, with every value read back as bound."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from db.queries.report_sql import Statement, instant


async def test_a_long_bucket_table_is_bound_in_a_few_parameters(db: str) -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    practices = [uuid4() for _ in range(20)]
    rows = [
        (p, i, start + timedelta(days=i), start + timedelta(days=i + 1))
        for p in practices
        for i in range(731)
    ]
    sql = Statement()
    cte = sql.buckets(rows)
    found = await sql.rows(
        f"WITH {cte} SELECT COUNT(*) AS n, MAX(i) AS top, MIN(s) AS first, MAX(e) AS last FROM b"
    )
    assert len(sql.values) <= 4
    (row,) = found
    assert int(row["n"]) == 20 * 731
    assert int(row["top"]) == 730
    assert instant(row["first"]) == start
    assert instant(row["last"]) == start + timedelta(days=731)
