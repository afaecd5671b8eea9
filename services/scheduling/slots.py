"""``availableSlots``: free starts for an appointment type inside practitioners' sessions.

Three inputs decide: the session windows (sessions, opening hours, absences, closures), the
blocks already on the practitioner's and the room's diary (unexpired holds included), and the
practice's slot step. Starts are aligned to the step from the window's start.

Given a patient, the booking-time rules (``booking_rules``) for that patient and type also
decide: starts inside the patient's cooling-off period (all of them without a signed
consultation consent) and days a practitioner's registration does not cover are skipped.
Patients may ask only about themselves (or a child they hold access to).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from db.models import Patient, Practitioner
from db.queries import schedule as queries
from db.tenancy import PracticeId
from services import visibility
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal
from services.scheduling import availability, booking_rules, rules
from services.scheduling.diary_access import Diary
from services.scheduling.diary_access import diary as open_diary
from services.scheduling.diary_access import window as checked_window

MAX_SLOTS = 500


@dataclass(frozen=True, slots=True)
class Slot:
    starts_at: datetime
    ends_at: datetime
    practitioner_id: UUID
    room_id: UUID


async def available(
    principal: Principal,
    *,
    practice_id: UUID,
    appointment_type_id: UUID,
    practitioner_id: UUID | None,
    start: datetime,
    end: datetime,
    patient_id: UUID | None = None,
) -> list[Slot]:
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_READ, patients_too=True)
    start, end = checked_window(start, end)
    kind = await queries.appointment_type(diary.practice_id, appointment_type_id)
    if kind is None or not kind.active or (principal.is_patient and not kind.online_bookable):
        raise NotFound("Appointment type")  # patients see only types offered online
    patient = await _patient(principal, diary, patient_id)
    people = await _practitioners(diary.practice_id, practitioner_id, kind.allowed_roles)
    now = rules.utcnow()
    if not diary.settings.allow_past_booking:
        start = max(start, now)
    if start >= end or not people:
        return []
    ids = [p.id for p in people]
    refusal = _no_rules
    if patient is not None:
        refusal = (await booking_rules.situation(diary, kind, ids, patient=patient)).refusal
    found = await availability.windows(diary.practice_id, ids, start, end, diary.zone)
    default_rooms = {p.id: p.default_room_id for p in people}
    length = timedelta(minutes=kind.duration_minutes)
    blocked = length + timedelta(minutes=kind.buffer_after_minutes)
    keys = {f"practitioner:{i}" for i in ids}
    keys |= {f"room:{w.room_id or default_rooms[w.practitioner_id]}" for w in found}
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for key, busy_start, busy_end in await queries.blocks_for(keys, start, end + blocked, now):
        busy.setdefault(key, []).append((busy_start, busy_end))
    step = timedelta(minutes=max(5, diary.settings.slot_step_minutes))
    slots: list[Slot] = []
    for window in found:
        room: UUID | None = window.room_id or default_rooms[window.practitioner_id]  # type: ignore[assignment]
        if room is None:
            continue
        taken = busy.get(f"practitioner:{window.practitioner_id}", []) + busy.get(
            f"room:{room}", []
        )
        moment = window.starts_at
        while moment + length <= window.ends_at and moment < end:
            if (
                moment >= start
                and not any(s < moment + blocked and e > moment for s, e in taken)
                and refusal(window.practitioner_id, moment) is None
            ):
                slots.append(Slot(moment, moment + length, window.practitioner_id, room))
                if len(slots) >= MAX_SLOTS:
                    return sorted(slots, key=lambda s: (s.starts_at, str(s.practitioner_id)))
            moment += step
    return sorted(slots, key=lambda s: (s.starts_at, str(s.practitioner_id)))


def _no_rules(practitioner_id: UUID, starts_at: datetime) -> booking_rules.Refusal | None:
    return None


async def _patient(principal: Principal, diary: Diary, patient_id: UUID | None) -> Patient | None:
    """The patient the starts are for, if the caller may see them (``visibility``: a patient
    asks only about themselves or a child, a partner needs the patient's data-sharing consent);
    anyone else's answers like a random id."""
    if patient_id is None:
        return None
    return await visibility.require(principal, await rules.patient_in(diary, patient_id))


async def _practitioners(
    pid: PracticeId, practitioner_id: UUID | None, roles: list[str]
) -> list[Practitioner]:
    if practitioner_id is not None:
        found = await queries.practitioner(pid, practitioner_id)
        if found is None or not found.active:
            raise NotFound("Practitioner")
        return [found] if not roles or found.role in roles else []
    return [p for p in await queries.practitioners(pid) if not roles or p.role in roles]
