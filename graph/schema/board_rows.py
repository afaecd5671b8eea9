"""Board rows (``db.queries.board.BoardRow``) as board types: the one mapper.

The ``schedule`` query and live board events (``graph.schema.live_events``) both build their
appointments here, so the two can never disagree on shape. Ids arrive as text (the response's
``ID`` values as they are: hence the ``arg-type`` ignores) and practitioners, rooms and types are
built once per board, so a row costs two object constructions and no conversions.
"""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

from db.queries.board import BoardRow
from graph.schema.scheduling import (
    BoardAppointmentType,
    BoardPatient,
    BoardPractitioner,
    BoardRoom,
    BookingSource,
    ScheduleAppointment,
    as_busy_time,
)
from graph.schema.scheduling_kinds import call_reason
from services.scheduling.workflow import Status

_STATUSES = {s.value: s for s in Status}
_SOURCES = {s.value: s for s in BookingSource}


def schedule_appointments(
    rows: Iterable[BoardRow], practice_id: UUID, hidden: frozenset[UUID] = frozenset()
) -> list[ScheduleAppointment]:
    """One ``ScheduleAppointment`` per row, in order; ``hidden`` patients' rows as busy time."""
    people: dict[str, BoardPractitioner] = {}
    rooms: dict[str, BoardRoom] = {}
    kinds: dict[str, BoardAppointmentType] = {}
    result = []
    for row in rows:
        person = people.get(row.practitioner_id)
        if person is None:
            person = people[row.practitioner_id] = BoardPractitioner(
                id=row.practitioner_id,  # type: ignore[arg-type]  # text is an ID here
                display_name=row.practitioner_name,
                colour=row.practitioner_colour,
            )
        room = rooms.get(row.room_id)
        if room is None:
            room = rooms[row.room_id] = BoardRoom(id=row.room_id, name=row.room_name)  # type: ignore[arg-type]
        kind = kinds.get(row.type_id)
        if kind is None:
            kind = kinds[row.type_id] = BoardAppointmentType(
                id=row.type_id,  # type: ignore[arg-type]
                name=row.type_name,
                colour=row.type_colour,
            )
        shown = ScheduleAppointment(
            id=row.id,  # type: ignore[arg-type]
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            status=_STATUSES[row.status],
            source=_SOURCES[row.source],
            late_cancellation=row.late_cancellation,
            needs_call=row.call_requested_at is not None,
            call_requested_at=row.call_requested_at,
            call_reason=call_reason(row.call_reason),
            sealed_reception_notes=row.reception_notes,
            patient=BoardPatient(
                id=row.patient_key,  # type: ignore[arg-type]
                first_name=row.first_name,
                last_name=row.last_name,
                preferred_name=row.preferred_name,
                has_medical_alert=row.has_medical_alert,
            ),
            practitioner=person,
            room=room,
            appointment_type=kind,
            practice_id=practice_id,
            patient_id=row.patient_id,
            sealed_note=row.clinical_note,
        )
        result.append(as_busy_time(shown) if hidden and row.patient_id in hidden else shown)
    return result
