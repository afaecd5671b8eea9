"""Tenant-scoped questions about one patient's appointments, for the privacy and patient
services (the diary's own queries live with scheduling). The practice comes first."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from db.models import Appointment
from db.tenancy import PracticeId


async def is_patients(practice_id: PracticeId, patient_id: UUID, appointment_id: UUID) -> bool:
    """Whether the appointment is this patient's (a treatment consent must name one)."""
    return await Appointment.exists(
        id=appointment_id, patient_id=patient_id, practice_id=practice_id
    )


async def last_started(practice_id: PracticeId, patient_id: UUID, now: datetime) -> object:
    """Start of the latest uncancelled appointment that has begun by ``now`` (None if none)."""
    return await (
        Appointment.filter(patient_id=patient_id, starts_at__lte=now, practice_id=practice_id)
        .exclude(status="CANCELLED")
        .order_by("-starts_at")
        .first()
        .values_list("starts_at", flat=True)
    )


async def move(practice_id: PracticeId, from_patient: UUID, to_patient: UUID) -> int:
    """A merged duplicate's appointments go to the survivor; how many moved."""
    return await Appointment.filter(patient_id=from_patient, practice_id=practice_id).update(
        patient_id=to_patient
    )
