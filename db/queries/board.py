"""The reception board's read: appointments and live holds as plain rows, one statement each.

No query builder and no model objects on the product's most watched screen. Ids the board
only prints come back as text (the response needs strings anyway); the patient id stays a
UUID for permission checks. The practice comes first, as in every tenant-scoped helper.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from db.models import Appointment, SlotHold
from db.queries.schedule import BOARD_FROM, _instant
from db.tenancy import PracticeId

# Row layout, by position (graph.schema.board_rows reads it).
BOARD_COLUMNS = (
    "CAST(a.id AS TEXT), a.starts_at, a.ends_at, a.status, a.reception_notes, a.clinical_note, "
    "a.patient_id, CAST(a.patient_id AS TEXT), p.first_name, p.last_name, p.preferred_name, "
    "p.has_medical_alert, CAST(a.practitioner_id AS TEXT), pr.display_name, pr.colour, "
    "CAST(a.room_id AS TEXT), r.name, CAST(a.appointment_type_id AS TEXT), t.name, t.colour, "
    "a.late_cancellation, a.source"
)


async def board_rows(
    practice_id: PracticeId,
    start: datetime,
    end: datetime,
    practitioner_ids: Collection[UUID] = (),
    room_ids: Collection[UUID] = (),
    patient_ids: Collection[UUID] | None = None,
) -> list[tuple[Any, ...]]:
    """Appointments overlapping [start, end), ordered by start (``BOARD_COLUMNS``)."""
    client = Appointment._meta.db
    sqlite = client.capabilities.dialect == "sqlite"
    values: list[Any] = [practice_id, end, start]
    if sqlite:
        values = [str(practice_id), end.isoformat(sep=" "), start.isoformat(sep=" ")]
    where = ["a.practice_id = {}", "a.starts_at < {}", "a.ends_at > {}"]
    filters = [("a.practitioner_id", practitioner_ids), ("a.room_id", room_ids)]
    if patient_ids is not None:
        filters.append(("a.patient_id", list(patient_ids) or [UUID(int=0)]))
    for column, ids in filters:
        if ids:
            where.append(f"{column} IN ({', '.join('{}' for _ in ids)})")
            values.extend(str(i) if sqlite else i for i in ids)
    marks = ["?" if sqlite else f"${n}" for n in range(1, len(values) + 1)]
    clause = " AND ".join(where).format(*marks)
    sql = f"SELECT {BOARD_COLUMNS} {BOARD_FROM} WHERE {clause} ORDER BY a.starts_at, a.id"
    _, rows = await client.execute_query(sql, values)
    if sqlite:
        return [_sqlite_row(row) for row in rows]
    return [tuple(row) for row in rows]


def _sqlite_row(row: Any) -> tuple[Any, ...]:
    values = list(row)
    values[1], values[2] = _instant(values[1]), _instant(values[2])
    values[6] = UUID(values[6])
    values[11], values[20] = bool(values[11]), bool(values[20])
    return tuple(values)


HOLDS = (
    "SELECT id, practitioner_id, room_id, starts_at, ends_at, expires_at, status FROM slot_hold "
    "WHERE practice_id = $1 AND status = 'ACTIVE' AND expires_at > $2 AND starts_at < $3 "
    "AND ends_at > $4 ORDER BY starts_at, id"
)
SQLITE_HOLDS = HOLDS.replace("$1", "?").replace("$2", "?").replace("$3", "?").replace("$4", "?")


async def live_holds(
    practice_id: PracticeId, start: datetime, end: datetime, now: datetime
) -> list[tuple[Any, ...]]:
    """Unexpired ACTIVE holds overlapping [start, end), ordered by start:
    (id, practitioner_id, room_id, starts_at, ends_at, expires_at, status)."""
    client = SlotHold._meta.db
    if client.capabilities.dialect == "sqlite":
        values = [str(practice_id), *(v.isoformat(sep=" ") for v in (now, end, start))]
        _, rows = await client.execute_query(SQLITE_HOLDS, values)
        return [(*r[:3], _instant(r[3]), _instant(r[4]), _instant(r[5]), r[6]) for r in rows]
    _, rows = await client.execute_query(HOLDS, [practice_id, now, end, start])
    return [tuple(row) for row in rows]
