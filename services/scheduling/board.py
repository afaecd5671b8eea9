"""The read path: the reception board and a patient's appointment history.

The board is the product's most watched screen, so it is two statements whatever its size:
one planned join for appointments with patient, practitioner, room and type, and one for
the practice's event watermark with its live holds. Rows (holds too) stay plain named tuples
(``db.queries.board``) until the graph layer shapes them, with the one mapper live board
events use too.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from db.models import Appointment
from db.queries import appointments as appointment_queries
from db.queries import board as board_queries
from db.queries import schedule as queries
from db.queries.board import BoardRow, HoldRow
from db.tenancy import PracticeId
from services import visibility
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal
from services.scheduling import rules
from services.scheduling.diary_access import staff_practice, window


@dataclass(frozen=True, slots=True)
class Board:
    practice_id: PracticeId
    starts_at: datetime
    ends_at: datetime
    rows: list[BoardRow]
    holds: list[HoldRow]
    # The practice's event sequence read before the rows: every event up to it is in the
    # board; subscribing with ``since=sequence`` delivers every later one (see ``schedule``).
    sequence: int = 0
    # Patients whose bookings show only as busy time: no name, alert, notes (``visibility``).
    hidden: frozenset[UUID] = frozenset()

    def shown_patients(self, principal: Principal) -> list[str]:
        """Patients whose details this board shows the caller (each read is audited), as the
        text the rows carry: the audit links them as text, and formatting 300 UUIDs cost more
        than the rest of the audit row."""
        if not principal.has_scope(Scope.PATIENT_READ, self.practice_id):
            return []
        hidden = self.hidden
        if not hidden:  # the usual board: no UUID hashed at all
            return list(dict.fromkeys(r.patient_key for r in self.rows))
        return list(dict.fromkeys(r.patient_key for r in self.rows if r.patient_id not in hidden))


async def schedule(
    principal: Principal,
    *,
    practice_id: UUID,
    start: datetime,
    end: datetime,
    practitioner_ids: list[UUID],
    room_ids: list[UUID],
) -> Board:
    """The board and its watermark.

    The watermark is read first, with the live holds in one statement (the holds as of the
    watermark; later changes to them arrive as events). Changes commit in sequence order (the
    allocation's row lock), so every event up to it has committed and is reflected in the rows
    read after it. A change committing while the rows are read has a higher sequence:
    ``since=watermark`` delivers it (it may already show in the rows; events carry the state
    they left, so applying it again changes nothing). Nothing between the read and the
    subscription is missed.
    """
    pid = staff_practice(principal, practice_id, Scope.SCHEDULE_READ, patients_too=True)
    start, end = window(start, end)
    own = principal.patient_ids if principal.is_patient else None
    sequence, holds = await board_queries.watermark_and_holds(pid, start, end, rules.utcnow())
    rows = await board_queries.board_rows(pid, start, end, practitioner_ids, room_ids, own)
    hidden = await visibility.hidden_of(principal, dict.fromkeys((r.patient_id for r in rows), pid))
    if own is not None:  # a patient's own diary: no holds, no one else
        return Board(pid, start, end, rows, [], sequence, hidden)
    if practitioner_ids or room_ids:
        wanted = {str(i) for i in (*practitioner_ids, *room_ids)}
        holds = [h for h in holds if str(h.practitioner_id) in wanted or str(h.room_id) in wanted]
    return Board(pid, start, end, rows, holds, sequence, hidden)


@dataclass(frozen=True, slots=True)
class HistoryPage:
    appointments: list[Appointment]
    has_next: bool


async def history(
    principal: Principal,
    *,
    patient_id: UUID,
    first: int,
    before: tuple[datetime, UUID] | None,
) -> HistoryPage:
    """A patient's appointments, newest first, if the caller may see the patient."""
    allowed = principal.practices_with(Scope.SCHEDULE_READ)
    practice = await queries.patient_practice(allowed, patient_id) if allowed else None
    if practice is None or not await visibility.visible(principal, {patient_id: practice}):
        raise NotFound("Patient")
    rows = await queries.patient_history(patient_id, allowed, before=before, limit=first + 1)
    return HistoryPage(rows[:first], len(rows) > first)


async def appointments(
    principal: Principal, *, appointment_ids: Collection[UUID]
) -> dict[UUID, Appointment]:
    """Appointments fetched by id (``node``/``nodes``) under :func:`history`'s rule: schedule:read
    in the appointment's practice and its patient visible. Two statements at most, whatever the
    number of ids; the ones left out answer NOT_FOUND, like a random id."""
    allowed = principal.practices_with(Scope.SCHEDULE_READ)
    rows = await appointment_queries.by_ids(allowed, appointment_ids)
    patients = {UUID(str(r.patient_id)): UUID(str(r.practice_id)) for r in rows}
    shown = await visibility.visible(principal, patients)
    return {UUID(str(r.id)): r for r in rows if UUID(str(r.patient_id)) in shown}


BOARD_ENTITY = "Schedule"  # the audit entity of the board read itself, naming its window
_WINDOW = "%Y%m%dT%H%MZ"


def audited_window(starts_at: datetime, ends_at: datetime) -> str:
    return f"{starts_at.astimezone(UTC):{_WINDOW}}/{ends_at.astimezone(UTC):{_WINDOW}}"
