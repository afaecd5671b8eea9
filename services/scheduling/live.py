"""What a live board event carries: the changed appointment, as the board shows it.

The fan-out renders an event once per permission group; the appointment is read once per event
(see ``graph.schema.live_events``) as the board's own row, so the live payload and the ``schedule``
query can never disagree on shape.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from db.models import Appointment
from db.queries import schedule as queries
from db.tenancy import PracticeId


async def board_row(practice_id: UUID, appointment_id: UUID) -> tuple[Any, ...] | None:
    """The appointment's current board row, or ``None`` if it is not in that practice.

    Two statements: the appointment's span, then the board query narrowed to that span.
    """
    span = await Appointment.filter(id=appointment_id, practice_id=practice_id).values_list(
        "starts_at", "ends_at"
    )
    if not span:
        return None
    start, end = span[0]
    rows = await queries.board_rows(PracticeId(practice_id), start, end)
    wanted = str(appointment_id)
    return next((row for row in rows if str(row[0]) == wanted), None)
