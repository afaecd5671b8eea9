"""The diary's report aggregates: one statement per report over ``appointment``, grouped by
practice and bucket (``report_sql``), answered from the ``(practice_id, starts_at)`` index — on
PostgreSQL attendance reads only the covering one of migration 0029 (an index-only scan: it
counts rows with ``COUNT(*)``, so it needs no column outside that index)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId


@dataclass(frozen=True, slots=True)
class DiaryFilter:
    """Empty means every practitioner / room / appointment type."""

    practitioner_ids: Collection[UUID] = ()
    room_ids: Collection[UUID] = ()
    appointment_type_ids: Collection[UUID] = ()

    def where(self, sql: Statement, alias: str = "a") -> list[str]:
        found = []
        for column, ids in (
            ("practitioner_id", self.practitioner_ids),
            ("room_id", self.room_ids),
            ("appointment_type_id", self.appointment_type_ids),
        ):
            if ids:
                found.append(sql.within(f"{alias}.{column}", ids))
        return found


@dataclass(frozen=True, slots=True)
class AttendanceRow:
    practice_id: UUID
    bucket: int
    appointments: int
    completed: int
    cancelled: int
    late_cancelled: int
    did_not_attend: int
    online: int


async def attendance(
    buckets: Sequence[tuple[PracticeId, int, datetime, datetime]], filters: DiaryFilter
) -> list[AttendanceRow]:
    """Counts of appointments starting in each bucket of each practice (every practice with its
    own bounds: practices of one organisation may keep different clocks). One statement."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    narrowed = "".join(f" AND {c}" for c in filters.where(sql))
    starting = "a.practice_id = b.p AND a.starts_at >= b.s AND a.starts_at < b.e"
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i,
      COUNT(*) AS appointments,
      SUM(CASE WHEN a.status = 'COMPLETED' THEN 1 ELSE 0 END) AS completed,
      SUM(CASE WHEN a.status = 'CANCELLED' THEN 1 ELSE 0 END) AS cancelled,
      SUM(CASE WHEN a.status = 'CANCELLED' AND a.late_cancellation THEN 1 ELSE 0 END) AS late,
      SUM(CASE WHEN a.status = 'DID_NOT_ATTEND' THEN 1 ELSE 0 END) AS dna,
      SUM(CASE WHEN a.source = 'PORTAL' THEN 1 ELSE 0 END) AS online
    FROM {sql.in_buckets("appointment", "a", f"{starting}{narrowed}")}
    GROUP BY b.p, b.i
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        AttendanceRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            int(r["appointments"]),
            int(r["completed"] or 0),
            int(r["cancelled"] or 0),
            int(r["late"] or 0),
            int(r["dna"] or 0),
            int(r["online"] or 0),
        )
        for r in await sql.rows(statement)
    ]
