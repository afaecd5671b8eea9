"""The reception board's read: appointments and live holds as plain rows, one statement each.

No query builder and no model objects on the product's most watched screen. The board and
live board events read the same statement into the same row type (``BoardRow``), whose fields
are the statement's column names, so the SELECT list and every reader agree by name rather
than by position. Ids the board only prints come back as text (the response needs strings
anyway); the patient id stays a UUID for permission checks. The practice comes first, as in
every tenant-scoped helper.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any, NamedTuple
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment, SlotHold
from db.models.appointments import LONGEST_APPOINTMENT
from db.queries.schedule import as_instant
from db.tenancy import PracticeId


class BoardRow(NamedTuple):
    """One appointment as the board shows it (a tuple: no per-row ``__dict__``)."""

    id: str
    starts_at: datetime
    ends_at: datetime
    status: str
    reception_notes: str | None  # sealed: decrypted only where a reader may see it
    clinical_note: str | None  # sealed, likewise
    patient_id: UUID
    patient_key: str  # the patient id as the response prints it
    first_name: str
    last_name: str
    preferred_name: str | None
    has_medical_alert: bool
    practitioner_id: str
    practitioner_name: str
    practitioner_colour: str
    room_id: str
    room_name: str
    type_id: str
    type_name: str
    type_colour: str
    late_cancellation: bool
    source: str
    call_requested_at: datetime | None  # the patient asked for a call (null: none waiting)
    call_reason: str | None  # why, as a code (services.scheduling.kinds.CallReason)


# Each BoardRow field with the expression that fills it; the SELECT is built from this list.
_SELECTED: dict[str, str] = {
    "id": "CAST(a.id AS TEXT)",
    "starts_at": "a.starts_at",
    "ends_at": "a.ends_at",
    "status": "a.status",
    "reception_notes": "a.reception_notes",
    "clinical_note": "a.clinical_note",
    "patient_id": "a.patient_id",
    "patient_key": "CAST(a.patient_id AS TEXT)",
    "first_name": "p.first_name",
    "last_name": "p.last_name",
    "preferred_name": "p.preferred_name",
    "has_medical_alert": "p.has_medical_alert",
    "practitioner_id": "CAST(a.practitioner_id AS TEXT)",
    "practitioner_name": "pr.display_name",
    "practitioner_colour": "pr.colour",
    "room_id": "CAST(a.room_id AS TEXT)",
    "room_name": "r.name",
    "type_id": "CAST(a.appointment_type_id AS TEXT)",
    "type_name": "t.name",
    "type_colour": "t.colour",
    "late_cancellation": "a.late_cancellation",
    "source": "a.source",
    "call_requested_at": "a.call_requested_at",
    "call_reason": "a.call_reason",
}
if tuple(_SELECTED) != BoardRow._fields:  # pragma: no cover - caught at import, by every test
    raise RuntimeError("db.queries.board: the SELECT list and BoardRow disagree")
BOARD_COLUMNS = ", ".join(f"{expression} AS {name}" for name, expression in _SELECTED.items())
BOARD_FROM = (
    "FROM appointment a JOIN patient p ON p.id = a.patient_id "
    "JOIN practitioner pr ON pr.id = a.practitioner_id JOIN room r ON r.id = a.room_id "
    "JOIN appointment_type t ON t.id = a.appointment_type_id"
)


def _client() -> BaseDBAsyncClient:
    return Appointment._meta.db


def _is_sqlite(client: BaseDBAsyncClient) -> bool:
    return client.capabilities.dialect == "sqlite"


async def _select(where: list[str], values: list[Any], sqlite: bool) -> list[BoardRow]:
    marks = ["?" if sqlite else f"${n}" for n in range(1, len(values) + 1)]
    clause = " AND ".join(where).format(*marks)
    sql = f"SELECT {BOARD_COLUMNS} {BOARD_FROM} WHERE {clause} ORDER BY a.starts_at, a.id"
    _, rows = await _client().execute_query(sql, values)
    if sqlite:
        return [_sqlite_row(row) for row in rows]
    # ``_make`` without its length check (the SELECT is built from BoardRow's fields): half
    # the cost on a 300-row board.
    new = tuple.__new__
    return [new(BoardRow, row) for row in rows]


def _sqlite_row(row: Any) -> BoardRow:
    """SQLite hands back text for times and ids and integers for booleans."""
    found = BoardRow._make(row)
    return found._replace(
        starts_at=as_instant(found.starts_at),
        ends_at=as_instant(found.ends_at),
        patient_id=UUID(str(found.patient_id)),
        has_medical_alert=bool(found.has_medical_alert),
        late_cancellation=bool(found.late_cancellation),
        call_requested_at=None
        if found.call_requested_at is None
        else as_instant(found.call_requested_at),
    )


async def board_rows(
    practice_id: PracticeId,
    start: datetime,
    end: datetime,
    practitioner_ids: Collection[UUID] = (),
    room_ids: Collection[UUID] = (),
    patient_ids: Collection[UUID] | None = None,
) -> list[BoardRow]:
    """Appointments overlapping [start, end), ordered by start; one statement.

    ``patient_ids`` (a patient's own diary) narrows to those patients; empty means none.
    """
    sqlite = _is_sqlite(_client())
    earliest = start - LONGEST_APPOINTMENT  # the index range is the day, not the history
    values: list[Any] = [practice_id, end, earliest, start]
    if sqlite:
        values = [str(practice_id), *(t.isoformat(sep=" ") for t in (end, earliest, start))]
    where = ["a.practice_id = {}", "a.starts_at < {}", "a.starts_at > {}", "a.ends_at > {}"]
    filters = [("a.practitioner_id", practitioner_ids), ("a.room_id", room_ids)]
    if patient_ids is not None:
        filters.append(("a.patient_id", list(patient_ids) or [UUID(int=0)]))
    for column, ids in filters:
        if ids:
            where.append(f"{column} IN ({', '.join('{}' for _ in ids)})")
            values.extend(str(i) if sqlite else i for i in ids)
    return await _select(where, values, sqlite)


async def board_row(practice_id: PracticeId, appointment_id: UUID) -> BoardRow | None:
    """One appointment as the board shows it (live events), or ``None`` if it is not in the
    practice; the same statement as the board's, narrowed to the appointment."""
    sqlite = _is_sqlite(_client())
    values: list[Any] = [practice_id, appointment_id]
    if sqlite:
        values = [str(practice_id), str(appointment_id)]
    rows = await _select(["a.practice_id = {}", "a.id = {}"], values, sqlite)
    return rows[0] if rows else None


class HoldRow(NamedTuple):
    """A live hold as the board shows it."""

    id: UUID
    practitioner_id: UUID
    room_id: UUID
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: str


# The practice's event watermark and its live holds in one statement (one round trip, one
# snapshot): the LEFT JOIN keeps the watermark's row when there is no hold.
WATERMARK_AND_HOLDS = (
    "SELECT w.last_sequence, h.id, h.practitioner_id, h.room_id, h.starts_at, h.ends_at, "
    "h.expires_at, h.status FROM (SELECT COALESCE((SELECT last_sequence FROM practice_sequence "
    "WHERE practice_id = $1), 0) AS last_sequence) w LEFT JOIN slot_hold h "
    "ON h.practice_id = $1 AND h.status = 'ACTIVE' AND h.expires_at > $2 AND h.starts_at < $3 "
    "AND h.ends_at > $4 ORDER BY h.starts_at, h.id"
)
SQLITE_WATERMARK_AND_HOLDS = WATERMARK_AND_HOLDS.replace("$", "?")  # ?1 … ?4: numbered


async def watermark_and_holds(
    practice_id: PracticeId, start: datetime, end: datetime, now: datetime
) -> tuple[int, list[HoldRow]]:
    """The practice's latest allocated event sequence, and its unexpired ACTIVE holds
    overlapping [start, end) ordered by start; one statement."""
    client = SlotHold._meta.db
    if _is_sqlite(client):
        values: list[Any] = [str(practice_id), *(v.isoformat(sep=" ") for v in (now, end, start))]
        _, rows = await client.execute_query(SQLITE_WATERMARK_AND_HOLDS, values)
        holds = [
            HoldRow(
                UUID(str(r[1])),
                UUID(str(r[2])),
                UUID(str(r[3])),
                as_instant(r[4]),
                as_instant(r[5]),
                as_instant(r[6]),
                r[7],
            )
            for r in rows
            if r[1] is not None
        ]
    else:
        _, rows = await client.execute_query(WATERMARK_AND_HOLDS, [practice_id, now, end, start])
        holds = [HoldRow._make(tuple(row)[1:]) for row in rows if row[1] is not None]
    return int(rows[0][0]), holds
