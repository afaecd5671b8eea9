"""The NHS activity report's reads: the practices' jurisdictions and contract years (one small
statement), and completed courses counted by band over ranges of days (one aggregate, answered
from the ``(practice_id, completed_on)`` index)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId


@dataclass(frozen=True, slots=True)
class ContractRow:
    practice_id: UUID
    jurisdiction: str
    starts_on: date | None  # None: the practice has no contract year
    annual_uda_target: int | None


def _day(value: object) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def contracts(practices: Collection[PracticeId]) -> list[ContractRow]:
    """Each practice's jurisdiction with each of its contract years (one row with none when it
    has none)."""
    if not practices:
        return []
    sql = Statement()
    statement = f"""
    SELECT p.id AS practice_id, p.jurisdiction AS jurisdiction, c.starts_on AS starts_on,
      c.annual_uda_target AS target
    FROM practice p LEFT JOIN nhs_contract_year c ON c.practice_id = p.id
    WHERE {sql.within("p.id", practices)}
    ORDER BY p.id, c.starts_on
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        ContractRow(
            identifier(r["practice_id"]),
            str(r["jurisdiction"]),
            None if r["starts_on"] is None else _day(r["starts_on"]),
            None if r["target"] is None else int(r["target"]),
        )
        for r in await sql.rows(statement)
    ]


@dataclass(frozen=True, slots=True)
class ActivityRow:
    practice_id: UUID
    segment: int
    band: str
    courses: int
    udas_hundredths: int


async def activity(ranges: Sequence[tuple[PracticeId, int, date, date]]) -> list[ActivityRow]:
    """Completed courses and their UDAs by band, per range ``i`` of practice ``p`` (completion
    days ``s`` to ``e`` inclusive; cancelled and open courses never count). One statement."""
    if not ranges:
        return []
    sql = Statement()
    statement = f"""
    WITH {sql.day_buckets(ranges)}
    SELECT d.p AS practice_id, d.i AS i, n.band AS band, COUNT(n.id) AS courses,
      SUM(n.udas_hundredths) AS udas
    FROM d JOIN nhs_course n
      ON n.practice_id = d.p AND n.completed_on >= d.s AND n.completed_on <= d.e
      AND n.status = 'COMPLETED'
    GROUP BY d.p, d.i, n.band
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        ActivityRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["band"]),
            int(r["courses"]),
            int(r["udas"] or 0),
        )
        for r in await sql.rows(statement)
    ]
