"""Tenant-scoped reads and moves of a patient's insurance arrangement (one row per patient)."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import PatientInsurance
from db.tenancy import PracticeId


async def arrangement(
    practice_id: PracticeId, patient_id: UUID, connection: BaseDBAsyncClient
) -> PatientInsurance | None:
    return await (
        PatientInsurance.filter(patient_id=patient_id, practice_id=practice_id)
        .using_db(connection)
        .first()
    )


async def has_arrangement(practice_id: PracticeId, patient_id: UUID) -> bool:
    return await PatientInsurance.exists(patient_id=patient_id, practice_id=practice_id)


async def move(practice_id: PracticeId, from_patient: UUID, to_patient: UUID) -> int:
    """A merged duplicate's arrangement goes to the survivor; how many rows moved."""
    return await PatientInsurance.filter(patient_id=from_patient, practice_id=practice_id).update(
        patient_id=to_patient
    )
