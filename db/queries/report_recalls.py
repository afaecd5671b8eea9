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

from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId


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


# At the end of bucket ``d`` cycle ``k`` is late unless held by a booking then (``held``):
# overdue = late − late and held, two grouped joins instead of a probe per (bucket, cycle).
LATE = "k.due < d.cut AND (k.met_at IS NULL OR k.met_at >= d.t)"

# The cycle's practice, patient and recall kind: ``a`` an appointment, ``t`` its type (the
# type of the same practice: each practice has its own types).
_OF_CYCLE = """appointment a ON a.practice_id = c.p AND a.patient_id = c.pt
      JOIN appointment_type t ON t.id = a.appointment_type_id AND t.practice_id = c.p
        AND t.recall_kind = c.kind"""


def _bookings(sql: Statement, now: datetime) -> str:
    """``pa``: the appointments of each patient and kind some cycle asks about (one pass over
    the patients' appointments, whatever their number of cycles); ``ma``: each cycle's;
    ``bk``: those that can hold it at an instant the report asks about (starting on or after
    its due day, or from now on), as the instants they held it: from ``made`` (booked) to
    ``until`` (the start, or the cancellation if earlier; never for one cancelled with no time
    kept). "Booked at T" is ``made < T AND until >= T``. ``pa`` is materialised: inlined,
    PostgreSQL scans each patient's appointments once per cycle instead of once."""
    materialized = "MATERIALIZED " if sql.postgres else ""
    return f"""pa AS {materialized}(
      SELECT a.practice_id AS p, a.patient_id AS pt, t.recall_kind AS kind, a.id AS appointment,
        a.created_at AS made, a.practitioner_id AS pr, a.starts_at AS starts,
        a.status AS status,
        CASE WHEN a.status <> 'CANCELLED' THEN a.starts_at
          WHEN a.cancelled_at IS NULL THEN NULL
          WHEN a.cancelled_at < a.starts_at THEN a.cancelled_at
          ELSE a.starts_at END AS until
      FROM (SELECT DISTINCT c.p AS p, c.pt AS pt, c.kind AS kind FROM c) c
      JOIN {_OF_CYCLE}
    ),
    ma AS (
      SELECT c.id AS id, c.p AS p, c.met_at AS met_at, c.due AS due, pa.appointment,
        pa.made, pa.pr, pa.starts, pa.status, pa.until
      FROM c JOIN pa ON pa.p = c.p AND pa.pt = c.pt AND pa.kind = c.kind
    ),
    bk AS (
      SELECT ma.id AS id, ma.p AS p, ma.made AS made, ma.pr AS pr, ma.starts AS starts,
        ma.appointment AS appointment, ma.until AS until
      FROM ma
      WHERE ma.starts >= ma.due OR ma.starts >= {sql.param(now, cast="timestamptz")}
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _attributed(sql: Statement, now: datetime) -> str:
    """``live``: each cycle's earliest booking held now; ``seen``: its patient's latest
    completed visit of the kind (before it was met); ``k``: each cycle with booked-now (not
    met) and its practitioner. Window functions over joins, not a probe per cycle."""
    made, until = sql.param(now, cast="timestamptz"), sql.param(now, cast="timestamptz")
    return f"""live AS (
      SELECT x.id AS id, x.pr AS pr FROM (
        SELECT bk.id AS id, bk.pr AS pr,
          ROW_NUMBER() OVER (PARTITION BY bk.id ORDER BY bk.starts, bk.appointment) AS n
        FROM bk WHERE bk.made < {made} AND bk.until >= {until}
      ) x WHERE x.n = 1
    ),
    seen AS (
      SELECT y.id AS id, y.pr AS pr FROM (
        SELECT ma.id AS id, ma.pr AS pr,
          ROW_NUMBER() OVER (PARTITION BY ma.id ORDER BY ma.starts DESC, ma.appointment DESC)
            AS n
        FROM ma
        WHERE ma.status = 'COMPLETED' AND (ma.met_at IS NULL OR ma.starts <= ma.met_at)
      ) y WHERE y.n = 1
    ),
    k AS (
      SELECT c.id AS id, c.p AS p, c.kind AS kind, c.due AS due, c.met_at AS met_at,
        CASE WHEN c.met_at IS NULL AND live.id IS NOT NULL THEN 1 ELSE 0 END AS booked,
        COALESCE(
          (SELECT v.practitioner_id FROM appointment v
            WHERE v.id = c.visit AND v.practice_id = c.p),
          CASE WHEN c.met_at IS NULL THEN live.pr END,
          seen.pr
        ) AS pr
      FROM c
      LEFT JOIN live ON live.id = c.id
      LEFT JOIN seen ON seen.id = c.id
    ),
    held AS (
      SELECT DISTINCT bk.id AS id, d.i AS i
      FROM bk JOIN d ON d.p = bk.p AND d.t > bk.made AND d.t <= bk.until
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
    bookings = _bookings(sql, now)
    attributed = _attributed(sql, now)
    statement = f"""
    {head}, {cycles}, {bookings}, {attributed}
    SELECT x.p AS practice_id, x.i AS i, x.kind AS kind, x.pr AS practitioner_id,
      pr.display_name AS practitioner_name, SUM(x.due) AS due, SUM(x.met) AS met,
      SUM(x.booked) AS booked, SUM(x.overdue) AS overdue
    FROM (
      SELECT d.p AS p, d.i AS i, k.kind AS kind, k.pr AS pr, 1 AS due,
        CASE WHEN k.met_at IS NULL THEN 0 ELSE 1 END AS met, k.booked AS booked, 0 AS overdue
      FROM d JOIN k ON k.p = d.p AND k.due >= d.s AND k.due <= d.e
      UNION ALL
      SELECT d.p, d.i, k.kind, k.pr, 0, 0, 0, 1
      FROM d JOIN k ON k.p = d.p AND {LATE}
      UNION ALL
      SELECT d.p, d.i, k.kind, k.pr, 0, 0, 0, -1
      FROM held JOIN k ON k.id = held.id JOIN d ON d.p = k.p AND d.i = held.i AND {LATE}
    ) x
    LEFT JOIN practitioner pr ON pr.id = x.pr
    GROUP BY x.p, x.i, x.kind, x.pr, pr.display_name
    HAVING SUM(x.due) > 0 OR SUM(x.overdue) > 0
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        RecallRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            str(r["kind"]),
            None if r["practitioner_id"] is None else identifier(r["practitioner_id"]),
            r["practitioner_name"],
            int(r["due"] or 0),
            int(r["met"] or 0),
            int(r["booked"] or 0),
            int(r["overdue"] or 0),
        )
        for r in await sql.rows(statement)
    ]
