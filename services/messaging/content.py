"""The values a message is rendered with, read when it is sent (so a corrected name, a moved
appointment or an erased address is what counts, not what was true when it was queued)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from db.models import Appointment, Message, MessageSettings, Patient, Practice
from db.queries import messages as queries
from db.queries import patients as patient_queries
from db.tenancy import PracticeId
from services import tenant_gate
from services.messaging import records
from services.patients import sealing

APPOINTMENT_PURPOSES = frozenset(
    {"APPOINTMENT_CONFIRMATION", "APPOINTMENT_REMINDER", "CARE_INSTRUCTIONS"}
)
LIVE_STATUSES = frozenset({"BOOKED", "CONFIRMED"})


@dataclass(slots=True)
class Facts:
    practice: Practice | None
    settings: MessageSettings | None
    patient: Patient | None
    appointment: Appointment | None
    values: dict[str, str]

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.practice.timezone if self.practice else "Europe/London")


def local_date(at: datetime, zone: ZoneInfo) -> str:
    local = at.astimezone(zone)
    return f"{local:%A} {local.day} {local:%B %Y}"


def local_time(at: datetime, zone: ZoneInfo) -> str:
    return f"{at.astimezone(zone):%H:%M}"


def patient_address(patient: Patient, channel: str) -> str | None:
    column = "email" if channel == "EMAIL" else "mobile_phone"
    return sealing.reveal(patient, column)


async def gather(message: Message) -> Facts:
    practice_id: PracticeId | None = (
        tenant_gate.practice_of(message) if message.practice_id is not None else None
    )
    practice, settings = (
        await queries.practice_and_settings(practice_id) if practice_id else (None, None)
    )
    facts = Facts(practice, settings, None, None, {})
    values: dict[str, str] = {"practice_name": practice.name if practice else "AES CRM"}
    stored = records.opened(message, "context")
    if stored:
        values.update(json.loads(stored))
    if practice_id is not None and message.patient_id is not None:
        facts.patient = await patient_queries.patient([practice_id], UUID(str(message.patient_id)))
        if facts.patient is not None:
            values["patient_name"] = facts.patient.preferred_name or facts.patient.first_name
    if practice_id is not None and message.purpose in APPOINTMENT_PURPOSES and message.subject_id:
        appointment, kind, who = await queries.visit(practice_id, UUID(str(message.subject_id)))
        facts.appointment = appointment
        if appointment is not None:
            values.update(_visit(appointment, kind, who, facts.zone))
    facts.values = values
    return facts


def _visit(
    appointment: Appointment, kind: str | None, who: str | None, zone: ZoneInfo
) -> dict[str, str]:
    return {
        "appointment_date": local_date(appointment.starts_at, zone),
        "appointment_time": local_time(appointment.starts_at, zone),
        "appointment_type": kind or "appointment",
        "practitioner_name": who or "your clinician",
    }


__all__ = ["Facts", "gather", "local_date", "local_time", "patient_address"]
