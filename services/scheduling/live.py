"""What a live board event carries: the changed appointment, as the board shows it.

The fan-out renders an event once per permission group; the appointment is read once per event
(see ``graph.schema.live_events``) by the board's own statement into the board's own row type,
and shaped by the board's own mapper, so the live payload and the ``schedule`` query can never
disagree on shape.
"""

from __future__ import annotations

from uuid import UUID

from db.queries import board as board_queries
from db.queries.board import BoardRow
from services.tenant_gate import InPractice, practice_of


async def board_row(event: InPractice, appointment_id: UUID) -> BoardRow | None:
    """The appointment's current board row (one statement), or ``None`` if it is not in the
    event's practice (a stored event is a row of its own practice's feed)."""
    return await board_queries.board_row(practice_of(event), appointment_id)
