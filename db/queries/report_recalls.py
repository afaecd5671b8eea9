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
from datetime import UTC, date, datetime
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


def _practices(sql: Statement, practices: Collection[PracticeId]) -> str:
    """``da``: each practice's number of buckets ``n``, and on PostgreSQL its bucket bounds as
    sorted arrays (``s``, ``cut``, ``t``) for ``width_bucket``; ``tk`` (PostgreSQL): the ids of
    each practice's appointment types of each recall kind, for ``= ANY`` in an index scan."""
    if not sql.postgres:
        return "da AS (SELECT d.p AS p, COUNT(*) AS n FROM d GROUP BY d.p)"
    return f"""da AS (
      SELECT d.p AS p, COUNT(*) AS n, array_agg(d.s ORDER BY d.i) AS s,
        array_agg(d.cut ORDER BY d.i) AS cut, array_agg(d.t ORDER BY d.i) AS t
      FROM d GROUP BY d.p
    ),
    tk AS (
      SELECT t.practice_id AS p, t.recall_kind AS kind, array_agg(t.id) AS ids
      FROM appointment_type t
      WHERE {sql.within("t.practice_id", practices)} AND t.recall_kind IS NOT NULL
      GROUP BY t.practice_id, t.recall_kind
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _rank(sql: Statement, value: str, bound: str, row: str) -> str:
    """How many buckets of ``row``'s practice have ``bound`` (``s``, ``cut`` or ``t``, which
    never decrease with the bucket's index) at most ``value``: a binary search of the sorted
    array (``width_bucket``) on PostgreSQL, a count on SQLite. Bucket ``i`` is the first with
    ``bound`` above ``value`` exactly when ``i`` equals the rank."""
    if sql.postgres:
        return f"width_bucket({value}, {row}.{bound})"
    return f"(SELECT COUNT(*) FROM d WHERE d.p = {row}.p AND d.{bound} <= {value})"  # noqa: S608


def _of_kind(sql: Statement, row: str) -> str:
    """Appointment ``a`` is of a type with ``row``'s recall kind, in ``row``'s practice."""
    if sql.postgres:
        return f"a.appointment_type_id = ANY({row}.ids)"
    return f"""a.appointment_type_id IN (SELECT t.id FROM appointment_type t
        WHERE t.practice_id = {row}.p AND t.recall_kind = {row}.kind)"""  # noqa: S608


def _each_bucket(sql: Statement, rows: str) -> str:
    """Join ``rows`` (with ``p``, ``lo``, ``hi``) to each bucket index ``g.i`` in [lo, hi]."""
    if sql.postgres:
        return f"{rows} CROSS JOIN LATERAL generate_series(x.lo, x.hi) AS g(i)"
    return f"{rows} JOIN d g ON g.p = x.p AND g.i BETWEEN x.lo AND x.hi"


NEVER = datetime(9999, 12, 31, tzinfo=UTC)  # an upper bound for an index range: no end

# Until when booking ``a`` held its cycle: its start, or its cancellation if earlier; never
# (null) for one cancelled with no time kept. "Booked at T" is ``made < T AND until >= T``.
UNTIL = """CASE WHEN a.status <> 'CANCELLED' THEN a.starts_at
        WHEN a.cancelled_at IS NULL THEN NULL
        WHEN a.cancelled_at < a.starts_at THEN a.cancelled_at
        ELSE a.starts_at END"""


def _placed(sql: Statement) -> str:
    """``cy``: each cycle with the bucket of its due day (``bucket``, -1 before the period)
    and the buckets at whose end it is late (``lo`` to ``hi``): due before that bucket's
    ``cut`` and not met by its end ``t``. Both bounds grow with the index, so the late buckets
    are one run, found by two binary searches instead of a join of every cycle to every
    bucket."""
    arrays = "tk.ids AS ids," if sql.postgres else ""
    kinds = "LEFT JOIN tk ON tk.p = c.p AND tk.kind = c.kind" if sql.postgres else ""
    return f"""cy AS (
      SELECT c.id AS id, c.p AS p, c.pt AS pt, c.kind AS kind, c.due AS due,
        c.met_at AS met_at, c.visit AS visit, {arrays}
        {_rank(sql, "c.due", "s", "da")} - 1 AS bucket,
        {_rank(sql, "c.due", "cut", "da")} AS lo,
        CASE WHEN c.met_at IS NULL THEN da.n - 1
          ELSE {_rank(sql, "c.met_at", "t", "da")} - 1 END AS hi
      FROM c JOIN da ON da.p = c.p {kinds}
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _attributed(sql: Statement, now: datetime) -> str:
    """``lv``: for a cycle not met, the practitioner of its earliest booking held now (one
    index probe); ``k``: each cycle with booked-now and its practitioner: of the visit that met
    it, else of that booking, else of the patient's latest completed visit of the kind before
    it was met (one backward index probe from the instant it was met, or from the end of time,
    only when needed). ``lv`` is materialised: its probe is read twice."""
    materialized = "MATERIALIZED " if sql.postgres else ""
    arrays = "lv.ids AS ids," if sql.postgres else ""
    cycle = "cy.ids AS ids," if sql.postgres else ""
    at = [sql.param(now, cast="timestamptz") for _ in range(3)]
    ever = sql.param(NEVER, cast="timestamptz")
    return f"""lv AS {materialized}(
      SELECT cy.id AS id, cy.p AS p, cy.pt AS pt, cy.kind AS kind, cy.due AS due,
        cy.met_at AS met_at, cy.visit AS visit, {cycle} cy.bucket AS bucket, cy.lo AS lo,
        cy.hi AS hi,
        CASE WHEN cy.met_at IS NULL THEN (
          SELECT a.practitioner_id FROM appointment a
          WHERE a.patient_id = cy.pt AND a.starts_at >= {at[0]} AND a.practice_id = cy.p
            AND {_of_kind(sql, "cy")} AND a.created_at < {at[1]}
            AND (a.status <> 'CANCELLED' OR a.cancelled_at >= {at[2]})
          ORDER BY a.starts_at, a.id LIMIT 1
        ) END AS live
      FROM cy
    ),
    k AS (
      SELECT lv.id AS id, lv.p AS p, lv.pt AS pt, lv.kind AS kind, lv.due AS due,
        lv.met_at AS met_at, {arrays} lv.bucket AS bucket, lv.lo AS lo, lv.hi AS hi,
        CASE WHEN lv.live IS NULL THEN 0 ELSE 1 END AS booked,
        COALESCE(
          (SELECT v.practitioner_id FROM appointment v
            WHERE v.id = lv.visit AND v.practice_id = lv.p),
          lv.live,
          (SELECT a.practitioner_id FROM appointment a
            WHERE a.patient_id = lv.pt AND a.practice_id = lv.p AND a.status = 'COMPLETED'
              AND a.starts_at <= COALESCE(lv.met_at, {ever}) AND {_of_kind(sql, "lv")}
            ORDER BY a.starts_at DESC, a.id DESC LIMIT 1)
        ) AS pr
      FROM lv
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _late(sql: Statement) -> str:
    """The cycles late at some bucket's end, as ``k``; on PostgreSQL with their practice's
    bucket ends ``t`` (an array: carried in ``k`` itself, 12,000 rows of them spill the CTE to
    disk), fenced with ``OFFSET 0`` so that the planner, which cannot estimate a CTE's rows,
    joins the 10-row ``da`` before probing the appointments rather than after."""
    if not sql.postgres:
        return "k"
    return """(SELECT k.id AS id, k.p AS p, k.pt AS pt, k.kind AS kind, k.pr AS pr, k.due AS due,
        k.lo AS lo, k.hi AS hi, k.ids AS ids, da.t AS t
      FROM k JOIN da ON da.p = k.p WHERE k.lo <= k.hi OFFSET 0) k"""


def _held(sql: Statement, now: datetime) -> str:
    """``hl``: the (cycle, bucket) pairs where the cycle is late and yet held by a booking at
    the bucket's end: a booking of the kind starting on or after the due day (or from now on)
    holds it at the ends ``t`` with ``made < t <= until``, again one run of buckets, cut to
    the late ones. Several bookings may hold the same bucket: counted once."""
    rows = f"""(
        SELECT k.id AS id, k.p AS p, k.kind AS kind, k.pr AS pr,
          {sql.latest("k.lo", _rank(sql, "a.created_at", "t", "k"))} AS lo,
          {sql.earliest("k.hi", _rank(sql, UNTIL, "t", "k") + " - 1")} AS hi
        FROM {_late(sql)} JOIN appointment a ON a.patient_id = k.pt AND a.practice_id = k.p
          AND a.starts_at >= {sql.earliest("k.due", sql.param(now, cast="timestamptz"))}
          AND {_of_kind(sql, "k")}
        WHERE k.lo <= k.hi AND ({UNTIL}) IS NOT NULL
      ) x"""  # noqa: S608 (placeholders and fixed expressions only)
    return f"""hl AS (
      SELECT DISTINCT x.id AS id, x.p AS p, x.kind AS kind, x.pr AS pr, g.i AS i
      FROM {_each_bucket(sql, rows)}
    )"""  # noqa: S608 (placeholders and fixed expressions only)


def _counted(sql: Statement, first: date) -> str:
    """``ev``: one row per cycle in its due bucket (due, met, booked), +1 where its late run
    starts and -1 after it ends (``delta``), and 1 per held late bucket (``held``); ``sums``
    adds them by practice, bucket, kind and practitioner; ``grid`` gives every bucket of every
    such group, overdue being the running sum of ``delta`` less ``held``."""
    same_pr = "IS NOT DISTINCT FROM" if sql.postgres else "IS"
    return f"""ev AS (
      SELECT k.p AS p, k.bucket AS i, k.kind AS kind, k.pr AS pr, 1 AS due,
        CASE WHEN k.met_at IS NULL THEN 0 ELSE 1 END AS met, k.booked AS booked,
        0 AS delta, 0 AS held
      FROM k WHERE k.due >= {sql.param(first, cast="date")}
      UNION ALL
      SELECT k.p, k.lo, k.kind, k.pr, 0, 0, 0, 1, 0 FROM k WHERE k.lo <= k.hi
      UNION ALL
      SELECT k.p, k.hi + 1, k.kind, k.pr, 0, 0, 0, -1, 0 FROM k WHERE k.lo <= k.hi
      UNION ALL
      SELECT hl.p, hl.i, hl.kind, hl.pr, 0, 0, 0, 0, 1 FROM hl
    ),
    sums AS (
      SELECT ev.p AS p, ev.i AS i, ev.kind AS kind, ev.pr AS pr, SUM(ev.due) AS due,
        SUM(ev.met) AS met, SUM(ev.booked) AS booked, SUM(ev.delta) AS delta,
        SUM(ev.held) AS held
      FROM ev GROUP BY ev.p, ev.i, ev.kind, ev.pr
    ),
    grid AS (
      SELECT g.p AS p, d.i AS i, g.kind AS kind, g.pr AS pr,
        COALESCE(s.due, 0) AS due, COALESCE(s.met, 0) AS met, COALESCE(s.booked, 0) AS booked,
        SUM(COALESCE(s.delta, 0)) OVER (PARTITION BY g.p, g.kind, g.pr ORDER BY d.i)
          - COALESCE(s.held, 0) AS overdue
      FROM (SELECT DISTINCT sums.p AS p, sums.kind AS kind, sums.pr AS pr FROM sums) g
      JOIN d ON d.p = g.p
      LEFT JOIN sums s ON s.p = g.p AND s.i = d.i AND s.kind = g.kind AND s.pr {same_pr} g.pr
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
    places = _practices(sql, practices)
    placed = _placed(sql)
    attributed = _attributed(sql, now)
    held = _held(sql, now)
    counted = _counted(sql, first)
    statement = f"""
    {head}, {cycles}, {places}, {placed}, {attributed}, {held}, {counted}
    SELECT grid.p AS practice_id, grid.i AS i, grid.kind AS kind, grid.pr AS practitioner_id,
      pr.display_name AS practitioner_name, grid.due AS due, grid.met AS met,
      grid.booked AS booked, grid.overdue AS overdue
    FROM grid LEFT JOIN practitioner pr ON pr.id = grid.pr
    WHERE grid.due > 0 OR grid.overdue > 0
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
