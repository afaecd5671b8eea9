"""The board read's rows (``db.queries.board.board_rows``) as board types.

Ids arrive as text and practitioners, rooms and types are built once per board, so a row
costs two object constructions and no conversions.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from graph.schema.scheduling import (
    BoardAppointmentType,
    BoardPatient,
    BoardPractitioner,
    BoardRoom,
    BookingSource,
    ScheduleAppointment,
    as_busy_time,
)
from services.scheduling.workflow import Status

_STATUSES = {s.value: s for s in Status}
_SOURCES = {s.value: s for s in BookingSource}


def schedule_appointments(
    rows: list[tuple[Any, ...]], practice_id: UUID, hidden: frozenset[UUID] = frozenset()
) -> list[Any]:
    """One ``ScheduleAppointment`` per row, in order; ``hidden`` patients' rows as busy time."""
    people: dict[str, BoardPractitioner] = {}
    rooms: dict[str, BoardRoom] = {}
    kinds: dict[str, BoardAppointmentType] = {}
    result = []
    for (
        aid,
        start,
        end,
        status,
        notes,
        sealed,
        pid,
        patient_key,
        first,
        last,
        preferred,
        alert,
        prid,
        prname,
        prcolour,
        rid,
        rname,
        tid,
        tname,
        tcolour,
        late,
        source,
    ) in rows:
        person = people.get(prid)
        if person is None:
            person = people[prid] = BoardPractitioner(id=prid, display_name=prname, colour=prcolour)
        room = rooms.get(rid)
        if room is None:
            room = rooms[rid] = BoardRoom(id=rid, name=rname)
        kind = kinds.get(tid)
        if kind is None:
            kind = kinds[tid] = BoardAppointmentType(id=tid, name=tname, colour=tcolour)
        result.append(
            ScheduleAppointment(
                id=aid,
                starts_at=start,
                ends_at=end,
                status=_STATUSES[status],
                source=_SOURCES[source],
                late_cancellation=late,
                reception_notes=notes,
                patient=BoardPatient(
                    id=patient_key,
                    first_name=first,
                    last_name=last,
                    preferred_name=preferred,
                    has_medical_alert=alert,
                ),
                practitioner=person,
                room=room,
                appointment_type=kind,
                practice_id=practice_id,
                patient_id=pid,
                sealed_note=sealed,
            )
        )
        if pid in hidden:
            result[-1] = as_busy_time(result[-1])
    return result
