"""How visits went, as report aggregates over ``appointment`` (one statement each, grouped by
practice and bucket of the appointment's start, like attendance): waiting and chair times from
the workflow's stamps, new and returning patients, cancellations by coded reason."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.queries.report_diary import DiaryFilter
from db.queries.report_sql import Statement, identifier
from db.tenancy import PracticeId

Buckets = Sequence[tuple[PracticeId, int, datetime, datetime]]
# An appointment starting in the bucket (each bucket one range scan of (practice_id, starts_at)).
STARTING = "a.practice_id = b.p AND a.starts_at >= b.s AND a.starts_at < b.e"
# The patient came: arrived, went into surgery, or was seen to the end.
ATTENDED = ("ARRIVED", "IN_SURGERY", "COMPLETED")


def _narrowed(sql: Statement, filters: DiaryFilter) -> str:
    return "".join(f" AND {c}" for c in filters.where(sql))


@dataclass(frozen=True, slots=True)
class WaitRow:
    practice_id: UUID
    bucket: int
    waited: int
    wait_seconds: int
    seated: int
    chair_seconds: int


async def waits(buckets: Buckets, filters: DiaryFilter) -> list[WaitRow]:
    """Per bucket: visits with both ARRIVED and IN_SURGERY stamps and the seconds between
    them; visits with both IN_SURGERY and COMPLETED stamps and the seconds between those."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    narrowed = _narrowed(sql, filters)
    wait = sql.seconds("a.seated_at", "a.arrived_at")
    chair = sql.seconds("a.completed_at", "a.seated_at")
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i,
      SUM(CASE WHEN a.arrived_at IS NOT NULL THEN 1 ELSE 0 END) AS waited,
      SUM(CASE WHEN a.arrived_at IS NOT NULL THEN {wait} ELSE 0 END) AS wait_seconds,
      SUM(CASE WHEN a.completed_at IS NOT NULL THEN 1 ELSE 0 END) AS seated,
      SUM(CASE WHEN a.completed_at IS NOT NULL THEN {chair} ELSE 0 END) AS chair_seconds
    FROM {sql.in_buckets("appointment", "a", f"{STARTING} AND a.seated_at IS NOT NULL{narrowed}")}
    GROUP BY b.p, b.i
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        WaitRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            int(r["waited"] or 0),
            int(r["wait_seconds"] or 0),
            int(r["seated"] or 0),
            int(r["chair_seconds"] or 0),
        )
        for r in await sql.rows(statement)
    ]


@dataclass(frozen=True, slots=True)
class MixRow:
    practice_id: UUID
    bucket: int  # PERIOD: the whole period
    seen: int
    new: int


PERIOD = -1


async def patient_mix(buckets: Buckets, filters: DiaryFilter) -> list[MixRow]:
    """Distinct patients who attended an appointment starting in each bucket, and how many of
    them had never attended one at the practice before the bucket (any practitioner or type:
    the filters pick the visits counted, not the history). Rows with bucket ``PERIOD`` count
    the same over the whole period (its start is each practice's bucket 0): distinct patients
    do not add up over buckets. One statement.

    "Never before" is "first attended visit at the practice inside the bucket": ``first`` is
    each seen patient's earliest attended start, one probe per patient (not per bucket) of
    ``(patient_id, starts_at)``, index-only on PostgreSQL (``appointment_patient_cover``,
    migration 0030): 10,000 probes for an organisation's year, where one per patient per
    bucket made 88,867 (1.8 s p99 in ``bench/reports.py``)."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    came = sql.within("a.status", ATTENDED)
    narrowed = _narrowed(sql, filters)
    history = sql.within("f.status", ATTENDED)
    statement = f"""
    WITH {cte},
    seen AS (
      SELECT DISTINCT b.p AS p, b.i AS i, b.s AS s, a.patient_id AS patient
      FROM {sql.in_buckets("appointment", "a", f"{STARTING} AND {came}{narrowed}")}
    ),
    first AS (
      SELECT u.p AS p, u.patient AS patient,
        (SELECT f.starts_at FROM appointment f
         WHERE f.patient_id = u.patient AND f.practice_id = u.p AND {history}
         ORDER BY f.starts_at LIMIT 1) AS at
      FROM (SELECT DISTINCT seen.p AS p, seen.patient AS patient FROM seen) u
    )
    SELECT seen.p AS practice_id, seen.i AS i, COUNT(*) AS seen,
      SUM(CASE WHEN first.at >= seen.s THEN 1 ELSE 0 END) AS first_time
    FROM seen JOIN first ON first.p = seen.p AND first.patient = seen.patient
    GROUP BY seen.p, seen.i
    UNION ALL
    SELECT first.p, {PERIOD}, COUNT(*), SUM(CASE WHEN first.at >= b0.s THEN 1 ELSE 0 END)
    FROM first JOIN b b0 ON b0.p = first.p AND b0.i = 0
    GROUP BY first.p
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        MixRow(identifier(r["practice_id"]), int(r["i"]), int(r["seen"]), int(r["first_time"] or 0))
        for r in await sql.rows(statement)
    ]


@dataclass(frozen=True, slots=True)
class CancellationRow:
    practice_id: UUID
    bucket: int
    code: str | None  # None: cancelled without a code
    cancelled: int
    late: int


async def cancellations(buckets: Buckets, filters: DiaryFilter) -> list[CancellationRow]:
    """Cancelled appointments starting in each bucket by ``cancel_code``, late or not."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    narrowed = _narrowed(sql, filters)
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i, a.cancel_code AS code, COUNT(*) AS cancelled,
      SUM(CASE WHEN a.late_cancellation THEN 1 ELSE 0 END) AS late
    FROM {sql.in_buckets("appointment", "a", f"{STARTING} AND a.status = 'CANCELLED'{narrowed}")}
    GROUP BY b.p, b.i, a.cancel_code
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        CancellationRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            None if r["code"] is None else str(r["code"]),
            int(r["cancelled"]),
            int(r["late"] or 0),
        )
        for r in await sql.rows(statement)
    ]
