"""Recalls: when each patient is next due an exam or a hygiene visit.

Completing an exam or hygiene appointment moves the patient's recall on by its interval
(the practice default the first time); reception works the due and overdue list. The due date
a completion met is kept (``RecallMet``, with the visit) for the recalls report: the recall row
itself only ever knows the next one. A second completion of the same kind on the same local day
(the exam visit and the exam charted from the plan) meets nothing new. Every change emits a
``recall`` topic event (ids, kind and due day only) so live dashboards know the recall figures
moved.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from db.models import Appointment, Recall, RecallMet
from db.outbox import PendingEvent
from db.queries import owned
from db.queries import recalls as recall_queries
from db.uow import UnitOfWork, unit_of_work
from realtime.envelopes import RECALL
from services import actors, audit, tenant_gate, visibility
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import rules
from services.scheduling.diary_access import Diary
from services.scheduling.diary_access import diary as open_diary
from services.scheduling.kinds import RecallKind

KINDS = frozenset(k.value for k in RecallKind)
CHANGED = "recall.changed"
REMOVED = "recall.removed"


def _event(organization_id: UUID, recall: Recall, kind: str, by: Principal | None) -> PendingEvent:
    due = recall.due_on
    return PendingEvent(
        organization_id=organization_id,
        practice_id=recall.practice_id,  # type: ignore[arg-type]
        topic=RECALL,
        type=kind,
        entity_id=recall.id,
        patient_id=recall.patient_id,  # type: ignore[arg-type]
        payload=actors.stamped(
            {"kind": recall.kind, "due_on": due.isoformat() if due else None}, by
        ),
    )


def add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _default_months(diary: Diary, kind: str) -> int:
    settings = diary.settings
    return settings.exam_recall_months if kind == "EXAM" else settings.hygiene_recall_months


async def after_visit(
    uow: UnitOfWork,
    principal: Principal,
    diary: Diary,
    appointment: Appointment,
    kind: str,
    now: datetime,
) -> Recall:
    patient_id: UUID = appointment.patient_id  # type: ignore[assignment]
    visit = UUID(str(appointment.id))
    return await after_treatment(uow, principal, diary, patient_id, kind, now, visit=visit)


async def after_treatment(
    uow: UnitOfWork,
    principal: Principal,
    diary: Diary,
    patient_id: UUID,
    kind: str,
    now: datetime,
    *,
    visit: UUID | None = None,
) -> Recall:
    """Moves the patient's ``kind`` recall on from ``now`` (a visit or a completed planned
    procedure whose catalogue item has that recall effect), in the caller's unit of work, and
    keeps the due date it met (``visit``: the completed appointment, if one met it)."""
    found = await recall_queries.recall(diary.practice_id, patient_id, kind, uow.connection)
    months = found.interval_months if found else _default_months(diary, kind)
    if found is not None and not _met_today(found, now, diary):
        met = RecallMet(
            practice_id=diary.practice_id,
            patient_id=patient_id,
            kind=kind,
            due_on=found.due_on,
            met_at=now,
            appointment_id=visit,
        )
        await met.save(using_db=uow.connection)
    if found is None:
        found = Recall(practice_id=diary.practice_id, patient_id=patient_id, kind=kind)
        found.interval_months = months
    found.due_on = add_months(now.astimezone(diary.zone).date(), months)
    found.last_completed_at = now
    await found.save(using_db=uow.connection)
    uow.audit(
        audit.record_for(
            principal,
            action="SET_RECALL",
            practice_id=diary.practice_id,
            organization_id=diary.organization_id,
            entity_type="Recall",
            entity_id=found.id,
            patient_id=patient_id,
        )
    )
    uow.emit(_event(diary.organization_id, found, CHANGED, principal))
    return found


def _met_today(found: Recall, now: datetime, diary: Diary) -> bool:
    last = found.last_completed_at
    return (
        last is not None and last.astimezone(diary.zone).date() == now.astimezone(diary.zone).date()
    )


@dataclass(frozen=True, slots=True)
class RecallSet:
    recall: Recall
    today: date


async def set_recall(
    principal: Principal,
    *,
    practice_id: UUID,
    patient_id: UUID,
    kind: str,
    interval_months: int,
    due_on: date | None,
) -> RecallSet:
    """Sets the recall; returns it with the practice's local today (for ``overdue``)."""
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_WRITE)
    if kind not in KINDS:
        raise ValidationFailed("Recall kind is EXAM or HYGIENE.", field="kind")
    kind = str(kind)  # a RecallKind member is stored as its plain value
    if not 1 <= interval_months <= 60:
        raise ValidationFailed("Between 1 and 60 months.", field="intervalMonths")
    patient = await rules.patient_in(diary, patient_id)
    today = rules.utcnow().astimezone(diary.zone).date()
    async with unit_of_work() as uow:
        found = await recall_queries.recall(diary.practice_id, patient.id, kind, uow.connection)
        if found is None:
            found = Recall(practice_id=diary.practice_id, patient_id=patient.id, kind=kind)
        found.interval_months = interval_months
        found.due_on = due_on or add_months(today, interval_months)
        await found.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="SET_RECALL",
                practice_id=diary.practice_id,
                entity_type="Recall",
                entity_id=found.id,
                patient_id=patient.id,
            )
        )
        uow.emit(_event(diary.organization_id, found, CHANGED, principal))
    return RecallSet(found, today)


async def remove_recall(principal: Principal, *, recall_id: UUID) -> None:
    allowed = principal.practices_with(Scope.SCHEDULE_WRITE)
    found = None if principal.is_patient else await owned.row(Recall, allowed, recall_id)
    if found is None:
        raise NotFound("Recall")
    organization_id = principal.organization_of(found.practice_id)  # type: ignore[arg-type]
    if organization_id is None:
        raise NotFound("Recall")
    async with unit_of_work() as uow:
        await recall_queries.remove(tenant_gate.practice_of(found), found.id, uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="REMOVE_RECALL",
                practice_id=found.practice_id,  # type: ignore[arg-type]
                entity_type="Recall",
                entity_id=found.id,
                patient_id=found.patient_id,  # type: ignore[arg-type]
            )
        )
        uow.emit(_event(organization_id, found, REMOVED, principal))


@dataclass(frozen=True, slots=True)
class RecallPage:
    recalls: list[Recall]
    has_next: bool
    today: date


async def due(
    principal: Principal,
    *,
    practice_id: UUID,
    until: date | None,
    first: int,
    after: tuple[date, UUID] | None,
) -> RecallPage:
    """Recalls due on or before ``until`` (default today: the overdue and due-today list)."""
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_READ, patients_too=True)
    today = rules.utcnow().astimezone(diary.zone).date()
    # Patients: their own; partners: consented, unrestricted patients (None: everyone).
    only = await visibility.visible_in(principal, diary.practice_id)
    rows = await recall_queries.due(
        diary.practice_id, until or today, patients=only, after=after, limit=first + 1
    )
    return RecallPage(rows[:first], len(rows) > first, today)
