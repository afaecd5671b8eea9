"""The recalls report's one aggregate statement over ``recall`` (each patient's next due date),
``recall_met`` (the due dates visits met) and the bookings of matching appointment types.

A recall cycle is one due date of one patient's EXAM or HYGIENE recall: a ``recall_met`` row
(met at ``met_at``) or a ``recall`` row (not met yet). "Booked at an instant T" means an
appointment of the patient in the practice, of a type with that recall kind, booked before T,
starting at or after T and not cancelled before T. Each cycle is counted for one practitioner:
the one of the visit that met it; for a cycle not met, the one of its earliest live booking;
else the one of the patient's latest completed visit of that kind (before it was met); else
nobody. Grouped by practice, bucket, kind and practitioner: a few hundred rows at most.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from db.queries.report_sql import Statement
from db.tenancy import PracticeId

# Appointments of the cycle's patient, practice and recall kind (``k`` is the cycle).
_MATCHING = """
    SELECT {what} FROM appointment a
    JOIN appointment_type t ON t.id = a.appointment_type_id
    WHERE a.practice_id = {cycle}.p AND a.patient_id = {cycle}.pt AND t.recall_kind = {cycle}.kind
"""


def _booked_at(sql: Statement, cycle: str, at: str | datetime, what: str = "1") -> str:
    """Matching appointments booked at ``at`` (a column, or an instant bound as a parameter)."""

    def mark() -> str:
        return at if isinstance(at, str) else sql.param(at, cast="timestamptz")

    return _MATCHING.format(what=what, cycle=cycle) + (
        f" AND a.created_at < {mark()} AND a.starts_at >= {mark()}"
        f" AND (a.status <> 'CANCELLED' OR a.cancelled_at >= {mark()})"
    )


@dataclass(frozen=True, slots=True)
class RecallBucket:
    practice_id: PracticeId
    index: int
    first_day: date  # due days counted, inclusive
    last_day: date
    cut: date  # a cycle due before this day is late at ``judged_at``
    judged_at: datetime


@dataclass(frozen=True, slots=True)
class RecallRow:
    practice_id: UUID
    bucket: int
    kind: str
    practitioner_id: UUID | None
    practitioner_name: str | None
    due: int
    met: int
    booked: int
    overdue: int


def _buckets(sql: Statement, rows: Sequence[RecallBucket]) -> str:
    """A CTE ``d(p, i, s, e, cut, t)``: bucket ``i`` of practice ``p`` holds the due days
    [s, e]; at its end (the instant ``t``) a cycle due before day ``cut`` is late."""
    columns = [("p", "uuid"), ("i", "int"), ("s", "date"), ("e", "date"), ("cut", "date")]
    return sql.table(
        "d",
        [*columns, ("t", "timestamptz")],
        [(b.practice_id, b.index, b.first_day, b.last_day, b.cut, b.judged_at) for b in rows],
    )


def _cycles(
    sql: Statement, practices: Collection[PracticeId], since: datetime, first: date, last: date
) -> str:
    """Every cycle the period can count: due by its last day, and not met before it began."""
    return f"""c AS (
      SELECT m.id AS id, m.practice_id AS p, m.patient_id AS pt, m.kind AS kind,
        m.due_on AS due, m.met_at AS met_at, m.appointment_id AS visit
      FROM recall_met m
      WHERE {sql.within("m.practice_id", practices)} AND m.due_on <= {sql.param(last, cast="date")}
        AND (m.due_on >= {sql.param(first, cast="date")}
          OR m.met_at >= {sql.param(since, cast="timestamptz")})
      UNION ALL
      SELECT r.id, r.practice_id, r.patient_id, r.kind, r.due_on, NULL, NULL
      FROM recall r
      WHERE {sql.within("r.practice_id", practices)} AND r.due_on <= {sql.param(last, cast="date")}
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _attributed(sql: Statement, now: datetime) -> str:
    """Each cycle with: booked now (not met), possibly booked after its due day (a cheap
    filter before the per-bucket check) and its practitioner."""
    booked_now = _booked_at(sql, "c", now)
    maybe = _MATCHING.format(what="1", cycle="c") + " AND a.starts_at >= c.due"
    live = _booked_at(sql, "c", now, what="a.practitioner_id")
    last_visit = _MATCHING.format(what="a.practitioner_id", cycle="c")
    return f"""k AS (
      SELECT c.id, c.p, c.pt, c.kind, c.due, c.met_at,
        CASE WHEN c.met_at IS NULL AND EXISTS ({booked_now}) THEN 1 ELSE 0 END AS booked,
        CASE WHEN EXISTS ({maybe}) THEN 1 ELSE 0 END AS maybe,
        COALESCE(
          (SELECT v.practitioner_id FROM appointment v
            WHERE v.id = c.visit AND v.practice_id = c.p),
          ({live} AND c.met_at IS NULL ORDER BY a.starts_at, a.id LIMIT 1),
          ({last_visit} AND a.status = 'COMPLETED'
            AND (c.met_at IS NULL OR a.starts_at <= c.met_at)
            ORDER BY a.starts_at DESC, a.id DESC LIMIT 1)
        ) AS pr
      FROM c
    )"""  # noqa: S608 (placeholders and fixed expressions only)


async def recalls(
    practices: Collection[PracticeId],
    buckets: Sequence[RecallBucket],
    *,
    since: datetime,
    now: datetime,
) -> list[RecallRow]:
    """Due, met, booked (now) and overdue (at each bucket's end) recall cycles by practice,
    bucket, kind and practitioner; ``since``: the period's earliest instant. One statement."""
    if not buckets:
        return []
    sql = Statement()
    first = min(b.first_day for b in buckets)
    last = max(b.last_day for b in buckets)
    # Built in the order the text reads: SQLite's placeholders are positional.
    head = f"WITH {_buckets(sql, buckets)}"
    cycles = _cycles(sql, practices, since, first, last)
    attributed = _attributed(sql, now)
    booked_then = _booked_at(sql, "k", "d.t")
    statement = f"""
    {head}, {cycles}, {attributed}
    SELECT x.p AS practice_id, x.i AS i, x.kind AS kind, x.pr AS practitioner_id,
      pr.display_name AS practitioner_name, SUM(x.due) AS due, SUM(x.met) AS met,
      SUM(x.booked) AS booked, SUM(x.overdue) AS overdue
    FROM (
      SELECT d.p AS p, d.i AS i, k.kind AS kind, k.pr AS pr, 1 AS due,
        CASE WHEN k.met_at IS NULL THEN 0 ELSE 1 END AS met, k.booked AS booked, 0 AS overdue
      FROM d JOIN k ON k.p = d.p AND k.due >= d.s AND k.due <= d.e
      UNION ALL
      SELECT d.p, d.i, k.kind, k.pr, 0, 0, 0, 1
      FROM d JOIN k ON k.p = d.p AND k.due < d.cut AND (k.met_at IS NULL OR k.met_at >= d.t)
      WHERE k.maybe = 0 OR NOT EXISTS ({booked_then})
    ) x
    LEFT JOIN practitioner pr ON pr.id = x.pr
    GROUP BY x.p, x.i, x.kind, x.pr, pr.display_name
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        RecallRow(
            UUID(str(r["practice_id"])),
            int(r["i"]),
            str(r["kind"]),
            None if r["practitioner_id"] is None else UUID(str(r["practitioner_id"])),
            r["practitioner_name"],
            int(r["due"] or 0),
            int(r["met"] or 0),
            int(r["booked"] or 0),
            int(r["overdue"] or 0),
        )
        for r in await sql.rows(statement)
    ]
