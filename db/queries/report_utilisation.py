"""Utilisation's two reads, whatever the number of practices or buckets.

- ``booked``: one aggregate over ``appointment``: the seconds of every appointment not
  cancelled inside each bucket (an appointment crossing a bucket's edge counts its part on each
  side), per practice, bucket, practitioner and room. Each bucket is a range scan of
  ``(practice_id, starts_at)`` from a day before it (appointments last at most 12 hours;
  ``Statement.in_buckets``).
- ``set_up``: the small tables bookable time is made of (weekly sessions, opening hours,
  absences, closures, and the names of practitioners and rooms) in one ``UNION ALL``, grouped
  per practice for ``services.scheduling.availability``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

from db.models import OpeningHours, WorkingSession
from db.queries.report_diary import DiaryFilter
from db.queries.report_sql import Statement, identifier, instant
from db.tenancy import PracticeId

Span = tuple[datetime, datetime]


@dataclass(frozen=True, slots=True)
class BookedRow:
    practice_id: UUID
    bucket: int
    practitioner_id: UUID
    room_id: UUID
    seconds: int


async def booked(
    buckets: Sequence[tuple[PracticeId, int, datetime, datetime]], filters: DiaryFilter
) -> list[BookedRow]:
    """Seconds booked per (practice, bucket, practitioner, room); every status but CANCELLED
    (a did-not-attend held the chair). One statement."""
    if not buckets:
        return []
    sql = Statement()
    cte = sql.buckets(buckets)
    narrowed = "".join(f" AND {c}" for c in filters.where(sql))
    inside = sql.seconds(sql.earliest("a.ends_at", "b.e"), sql.latest("a.starts_at", "b.s"))
    rows = sql.in_buckets(
        "appointment",
        "a",
        f"a.practice_id = b.p AND a.starts_at < b.e AND a.starts_at >= {sql.day_before('b.s')}"
        f" AND a.ends_at > b.s AND a.status <> 'CANCELLED'{narrowed}",
    )
    statement = f"""
    WITH {cte}
    SELECT b.p AS practice_id, b.i AS i, a.practitioner_id AS practitioner_id,
      a.room_id AS room_id, SUM({inside}) AS seconds
    FROM {rows}
    GROUP BY b.p, b.i, a.practitioner_id, a.room_id
    """  # noqa: S608 (placeholders and fixed expressions only)
    return [
        BookedRow(
            identifier(r["practice_id"]),
            int(r["i"]),
            identifier(r["practitioner_id"]),
            identifier(r["room_id"]),
            int(r["seconds"] or 0),
        )
        for r in await sql.rows(statement)
    ]


@dataclass(slots=True)
class SetUpRows:
    """One practice's rows. Sessions and opening hours are unsaved model instances holding the
    stored values, for ``availability.session_windows``."""

    sessions: list[WorkingSession] = field(default_factory=list)
    hours: list[OpeningHours] = field(default_factory=list)
    closed: list[Span] = field(default_factory=list)
    absent: dict[UUID, list[Span]] = field(default_factory=dict)
    practitioners: dict[UUID, str] = field(default_factory=dict)
    rooms: dict[UUID, str] = field(default_factory=dict)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def set_up(
    practice_ids: Sequence[PracticeId],
    days: tuple[date, date],
    span: Span,
    filters: DiaryFilter,
) -> dict[UUID, SetUpRows]:
    """Sessions valid on some day of ``days``, every opening hours row, absences and closures
    overlapping ``span``, and the names of the practitioners and rooms the filters keep (a room
    filter keeps only sessions in those rooms). One statement."""
    if not practice_ids:
        return {}
    sql = Statement()
    first, last = days
    people = filters.practitioner_ids
    rooms = filters.room_ids

    def practices(column: str) -> str:
        return sql.within(column, practice_ids)

    session_where = [
        practices("w.practice_id"),
        f"w.valid_from <= {sql.param(last, cast='date')}",
        f"(w.valid_until IS NULL OR w.valid_until >= {sql.param(first, cast='date')})",
    ]
    if people:
        session_where.append(sql.within("w.practitioner_id", people))
    if rooms:
        session_where.append(sql.within("w.room_id", rooms))
    ts, text = "timestamptz", "varchar"
    null_ts = f"CAST(NULL AS {ts})" if sql.postgres else "NULL"
    null_text = f"CAST(NULL AS {text})" if sql.postgres else "NULL"
    sessions = f"""
    SELECT 'S' AS k, w.practice_id AS p, w.practitioner_id AS who, w.room_id AS room,
      w.weekday AS wd, w.start_minute AS m1, w.end_minute AS m2, w.valid_from AS d1,
      w.valid_until AS d2, {null_ts} AS t1, {null_ts} AS t2, {null_text} AS label
    FROM working_session w WHERE {" AND ".join(session_where)}"""  # noqa: S608
    hours = f"""
    SELECT 'H', h.practice_id, NULL, NULL, h.weekday, h.open_minute, h.close_minute, NULL, NULL,
      NULL, NULL, NULL
    FROM opening_hours h WHERE {practices("h.practice_id")}"""  # noqa: S608
    # On SQLite placeholders are positional: every piece adds its values in the text's order.
    absent_where = [practices("x.practice_id")]
    absent_where.append(f"x.starts_at < {sql.param(span[1], cast=ts)}")
    absent_where.append(f"x.ends_at > {sql.param(span[0], cast=ts)}")
    if people:
        absent_where.append(sql.within("x.practitioner_id", people))
    absences = f"""
    SELECT 'A', x.practice_id, x.practitioner_id, NULL, NULL, NULL, NULL, NULL, NULL,
      x.starts_at, x.ends_at, NULL
    FROM absence x WHERE {" AND ".join(absent_where)}"""  # noqa: S608
    closed_where = [practices("c.practice_id")]
    closed_where.append(f"c.starts_at < {sql.param(span[1], cast=ts)}")
    closed_where.append(f"c.ends_at > {sql.param(span[0], cast=ts)}")
    closures = f"""
    SELECT 'C', c.practice_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, c.starts_at, c.ends_at,
      NULL
    FROM closure c WHERE {" AND ".join(closed_where)}"""  # noqa: S608
    named = [practices("r.practice_id")] + ([sql.within("r.id", people)] if people else [])
    practitioners = f"""
    SELECT 'P', r.practice_id, r.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
      r.display_name
    FROM practitioner r WHERE {" AND ".join(named)}"""  # noqa: S608
    named = [practices("m.practice_id")] + ([sql.within("m.id", rooms)] if rooms else [])
    room_names = f"""
    SELECT 'R', m.practice_id, NULL, m.id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, m.name
    FROM room m WHERE {" AND ".join(named)}"""  # noqa: S608
    parts = (sessions, hours, absences, closures, practitioners, room_names)
    statement = "\nUNION ALL".join(parts)
    found: dict[UUID, SetUpRows] = {identifier(p): SetUpRows() for p in practice_ids}
    for r in await sql.rows(statement):
        into = found[identifier(r["p"])]
        kind = r["k"]
        if kind == "S":
            into.sessions.append(
                WorkingSession(
                    practice_id=identifier(r["p"]),
                    practitioner_id=identifier(r["who"]),
                    room_id=None if r["room"] is None else identifier(r["room"]),
                    weekday=int(r["wd"]),
                    start_minute=int(r["m1"]),
                    end_minute=int(r["m2"]),
                    valid_from=_day(r["d1"]),
                    valid_until=None if r["d2"] is None else _day(r["d2"]),
                )
            )
        elif kind == "H":
            into.hours.append(
                OpeningHours(
                    practice_id=identifier(r["p"]),
                    weekday=int(r["wd"]),
                    open_minute=int(r["m1"]),
                    close_minute=int(r["m2"]),
                )
            )
        elif kind == "A":
            spans = into.absent.setdefault(identifier(r["who"]), [])
            spans.append((instant(r["t1"]), instant(r["t2"])))
        elif kind == "C":
            into.closed.append((instant(r["t1"]), instant(r["t2"])))
        elif kind == "P":
            into.practitioners[identifier(r["who"])] = str(r["label"])
        else:
            into.rooms[identifier(r["room"])] = str(r["label"])
    return found
