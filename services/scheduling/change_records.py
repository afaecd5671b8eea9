"""Outbox events and audit records of diary changes (ids and times only: no patient data)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from db.audit_chain import AuditRecord
from db.models import Appointment
from db.outbox import PendingEvent
from realtime.envelopes import SCHEDULE
from services import actors, audit
from services.principal import Principal
from services.scheduling.diary_access import Diary

SNAPSHOT_FIELDS = ("starts_at", "ends_at", "status", "practitioner_id", "room_id")
NEEDS_CALL = "needs_call"  # also in every snapshot since call requests (absent before them)


def snapshot(appointment: Appointment) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name in SNAPSHOT_FIELDS:
        value = getattr(appointment, name)
        values[name] = value.isoformat() if hasattr(value, "isoformat") else str(value)
    values[NEEDS_CALL] = appointment.call_requested_at is not None
    return values


def appointment_event(
    diary: Diary,
    appointment: Appointment,
    kind: str,
    previous: dict[str, Any] | None = None,
    *,
    by: Principal | None,
) -> PendingEvent:
    """The change as it commits: the appointment's state after it (``snapshot``), before it
    (``previous``; none for a booking) and who made it (``services.actors``)."""
    payload = actors.stamped(snapshot(appointment), by)
    if previous is not None:
        payload["previous"] = previous
    return PendingEvent(
        organization_id=diary.organization_id,
        practice_id=diary.practice_id,
        topic=SCHEDULE,
        type=kind,
        entity_id=appointment.id,
        patient_id=appointment.patient_id,  # type: ignore[arg-type]
        payload=payload,
    )


SETUP_CHANGED = "setup.changed"


def setup_event(
    organization_id: UUID,
    practice_id: UUID,
    *,
    entity: str,
    entity_id: UUID,
    change: str,
    affected: Sequence[UUID] = (),
    by: Principal | None,
) -> PendingEvent:
    """A board reloads its columns and rules: what kind of item changed, its id and how, plus
    any live bookings the change left outside bookable time (ids only)."""
    return PendingEvent(
        organization_id=organization_id,
        practice_id=practice_id,
        topic=SCHEDULE,
        type=SETUP_CHANGED,
        entity_id=entity_id,
        payload=actors.stamped(
            {
                "entity": entity,
                "change": change,
                "affected_appointment_ids": [str(a) for a in affected],
            },
            by,
        ),
    )


def audit_change(
    principal: Principal, diary: Diary, appointment: Appointment, action: str
) -> AuditRecord:
    return audit.record_for(
        principal,
        action=action,
        practice_id=diary.practice_id,
        organization_id=diary.organization_id,
        entity_type="Appointment",
        entity_id=appointment.id,
        patient_id=appointment.patient_id,  # type: ignore[arg-type]
    )
