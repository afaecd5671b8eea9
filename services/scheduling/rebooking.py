"""Bookings reception must rebook: live appointments lying outside bookable time (under an
absence or closure, outside the practitioner's sessions or the practice's opening hours), each
with why.

An accepted set-up change names such bookings once, on its ``setup.changed`` event; a board that
missed the event, or a booking made outside bookable time some other way, is found here. The
rule is the stranded-bookings guard's (``stranding.reasons``), and the cost is constant: the
diary, the appointments, four set-up reads and the patients, whatever the number of rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db.models import Appointment, Patient
from db.queries import patients as patient_queries
from db.tenancy import PracticeId
from services import visibility
from services.policy import Scope
from services.principal import Principal
from services.scheduling import rules, stranding
from services.scheduling.diary_access import diary, window
from services.scheduling.stranding import Booked, Reach, Reason


@dataclass(frozen=True, slots=True)
class Stray:
    """One booking to rebook, why it is outside bookable time, and who it is for."""

    appointment: Appointment
    reason: Reason
    patient: Patient | None


@dataclass(frozen=True, slots=True)
class Strays:
    practice_id: PracticeId
    starts_at: datetime
    ends_at: datetime
    rows: list[Stray]


async def stranded(
    principal: Principal, *, practice_id: UUID, start: datetime, end: datetime
) -> Strays:
    """Live bookings overlapping [start, end) (at most 31 days) that have not finished and lie
    outside bookable time, by start; only patients the caller may see (``visibility``)."""
    found = await diary(principal, practice_id, Scope.SCHEDULE_READ)
    start, end = window(start, end)
    reach = Reach(None, start, end)
    live = await stranding.live(found.practice_id, reach, rules.utcnow())
    booked = [Booked(a.id, UUID(str(a.practitioner_id)), a.starts_at, a.ends_at) for a in live]
    why = await stranding.reasons(found.practice_id, booked, found.zone)
    outside = [a for a in live if a.id in why]
    seen = await visibility.visible(
        principal, {UUID(str(a.patient_id)): found.practice_id for a in outside}
    )
    outside = [a for a in outside if UUID(str(a.patient_id)) in seen]  # others: not listed
    wanted = {UUID(str(a.patient_id)) for a in outside}
    patients = await patient_queries.patients_by_ids({found.practice_id}, wanted)
    by_id = {p.id: p for p in patients}
    rows = [Stray(a, why[a.id], by_id.get(UUID(str(a.patient_id)))) for a in outside]
    return Strays(found.practice_id, start, end, rows)
