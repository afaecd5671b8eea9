"""The waitlist: patients who would take an earlier slot. When a cancellation or a reschedule
frees time, matching entries are offered on the board as a ``waitlist.offered`` event.

An entry matches when its practitioner, weekdays and times fit the freed start, its appointment
type fits in the freed span, and the freed slot's practitioner may perform that type."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from db.models import WaitlistEntry
from db.outbox import PendingEvent
from db.queries import diary_setup, owned, practitioners
from db.queries import messages as message_queries
from db.queries import schedule as queries
from db.queries import waitlist as waitlist_queries
from db.uow import UnitOfWork, unit_of_work
from realtime.envelopes import SCHEDULE
from services import actors, audit, tenant_gate, visibility
from services.errors import NotFound, ValidationFailed
from services.messaging import patient_messages
from services.policy import Scope
from services.principal import Principal
from services.scheduling import rules
from services.scheduling.diary_access import Diary
from services.scheduling.diary_access import diary as open_diary

MAX_OFFERS = 5
OFFERED = "waitlist.offered"


@dataclass(frozen=True, slots=True)
class WaitlistRequest:
    practice_id: UUID
    patient_id: UUID
    appointment_type_id: UUID
    practitioner_id: UUID | None = None
    weekdays: tuple[int, ...] = ()
    earliest_minute: int = 0
    latest_minute: int = 1440


def matches(entry: WaitlistEntry, freed: dict[str, Any], diary: Diary) -> bool:
    start = datetime.fromisoformat(freed["starts_at"]).astimezone(diary.zone)
    if entry.practitioner_id and str(entry.practitioner_id) != freed["practitioner_id"]:
        return False
    if entry.weekdays and start.weekday() not in entry.weekdays:
        return False
    minute = start.hour * 60 + start.minute
    return entry.earliest_minute <= minute < entry.latest_minute


async def offer(uow: UnitOfWork, diary: Diary, freed: dict[str, Any]) -> int:
    """Offers the freed span to the oldest matching entries (in the freeing transaction)."""
    if datetime.fromisoformat(freed["starts_at"]) <= rules.utcnow():
        return 0
    candidates = await waitlist_queries.candidates(
        diary.practice_id, freed["practitioner_id"], uow.connection
    )
    usable = await _usable_types(uow, diary, candidates, freed)
    chosen = [
        e for e in candidates if e.appointment_type_id in usable and matches(e, freed, diary)
    ][:MAX_OFFERS]
    now = rules.utcnow()
    for entry in chosen:
        uow.emit(
            PendingEvent(
                organization_id=diary.organization_id,
                practice_id=diary.practice_id,
                topic=SCHEDULE,
                type=OFFERED,
                entity_id=entry.id,
                patient_id=entry.patient_id,  # type: ignore[arg-type]
                payload={
                    "starts_at": freed["starts_at"],
                    "ends_at": freed["ends_at"],
                    "practitioner_id": freed["practitioner_id"],
                    "appointment_type_id": str(entry.appointment_type_id),
                    actors.KEY: actors.of(None),  # offered automatically, not by a person
                },
            )
        )
    starts_at = datetime.fromisoformat(freed["starts_at"])
    for entry in chosen:
        patient = await message_queries.patient_in(
            diary.practice_id, entry.patient_id, uow.connection
        )
        if patient is not None:
            await patient_messages.waitlist_offer(
                uow.connection, patient, entry.id, starts_at, diary.zone
            )
    if chosen:
        ids = [e.id for e in chosen]
        await waitlist_queries.mark_offered(diary.practice_id, ids, now, uow.connection)
    return len(chosen)


async def _usable_types(
    uow: UnitOfWork, diary: Diary, candidates: list[WaitlistEntry], freed: dict[str, Any]
) -> set[Any]:
    """Types of the candidates that fit in the freed span and that its practitioner performs."""
    if not candidates:
        return set()
    length = datetime.fromisoformat(freed["ends_at"]) - datetime.fromisoformat(freed["starts_at"])
    pid = diary.practice_id
    found = await practitioners.practitioner(pid, freed["practitioner_id"], uow.connection)
    role = found.role if found else None
    wanted = {UUID(str(e.appointment_type_id)) for e in candidates}
    kinds = await diary_setup.active_types(pid, wanted, uow.connection)
    return {
        k.id
        for k in kinds
        if timedelta(minutes=k.duration_minutes) <= length
        and (not k.allowed_roles or role in k.allowed_roles)
    }


async def add(principal: Principal, *, request: WaitlistRequest) -> WaitlistEntry:
    diary = await open_diary(principal, request.practice_id, Scope.SCHEDULE_WRITE)
    patient = await rules.patient_in(diary, request.patient_id)
    if await queries.appointment_type(diary.practice_id, request.appointment_type_id) is None:
        raise NotFound("Appointment type")
    if request.practitioner_id and not await queries.practitioner(
        diary.practice_id, request.practitioner_id
    ):
        raise NotFound("Practitioner")
    if any(day not in range(7) for day in request.weekdays):
        raise ValidationFailed("Weekdays are 0 (Monday) to 6.", field="weekdays")
    if not 0 <= request.earliest_minute < request.latest_minute <= 1440:
        raise ValidationFailed(
            "Earliest must be before latest, within a day.", field="latestMinute"
        )
    async with unit_of_work() as uow:
        entry = await WaitlistEntry.create(
            practice_id=diary.practice_id,
            patient_id=patient.id,
            appointment_type_id=request.appointment_type_id,
            practitioner_id=request.practitioner_id,
            weekdays=sorted(set(request.weekdays)),
            earliest_minute=request.earliest_minute,
            latest_minute=request.latest_minute,
            using_db=uow.connection,
        )
        uow.audit(_audit(principal, entry, "ADD_TO_WAITLIST"))
    return entry


async def remove(principal: Principal, *, entry_id: UUID) -> None:
    allowed = principal.practices_with(Scope.SCHEDULE_WRITE)
    entry = None
    if not principal.is_patient:
        entry = await owned.row(WaitlistEntry, allowed, entry_id)
    if entry is None or not entry.active:
        raise NotFound("Waitlist entry")
    async with unit_of_work() as uow:
        await waitlist_queries.deactivate(tenant_gate.practice_of(entry), entry.id, uow.connection)
        uow.audit(_audit(principal, entry, "REMOVE_FROM_WAITLIST"))


async def entries(
    principal: Principal, *, practice_id: UUID, first: int, after: UUID | None
) -> tuple[list[WaitlistEntry], bool]:
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_READ, patients_too=True)
    # Patients: their own; partners: consented, unrestricted patients (None: everyone).
    only = await visibility.visible_in(principal, diary.practice_id)
    rows = await waitlist_queries.page(
        diary.practice_id, patients=only, after=after, limit=first + 1
    )
    return rows[:first], len(rows) > first


def _audit(principal: Principal, entry: WaitlistEntry, action: str) -> Any:
    return audit.record_for(
        principal,
        action=action,
        practice_id=entry.practice_id,  # type: ignore[arg-type]
        entity_type="WaitlistEntry",
        entity_id=entry.id,
        patient_id=entry.patient_id,  # type: ignore[arg-type]
    )
