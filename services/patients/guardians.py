"""Guardian links: who holds parental responsibility for a minor (both are practice patients)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from db.models import GuardianLink, Patient
from db.uow import unit_of_work
from services.errors import NotFound, ValidationFailed
from services.patients import access
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

ADULT_AGE = 18


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


async def _pair(
    principal: Principal, patient_id: UUID, guardian_id: UUID
) -> tuple[Patient, Patient]:
    patient = await access.readable_patient(principal, patient_id)
    await access.require(principal, Scope.PATIENT_WRITE, patient, action="LINK guardian")
    if guardian_id == patient.id:
        raise ValidationFailed("A patient cannot be their own guardian.", field="guardianId")
    guardian = await access.readable_patient(principal, guardian_id)
    if guardian.practice_id != patient.practice_id:
        raise NotFound("Patient")  # another practice's record is as good as absent
    return patient, guardian


async def link_guardian(
    principal: Principal,
    *,
    patient_id: UUID,
    guardian_id: UUID,
    relationship: str,
    parental_responsibility: bool = True,
) -> Patient:
    patient, guardian = await _pair(principal, patient_id, guardian_id)
    if age_on(patient.date_of_birth, datetime.now(UTC).date()) >= ADULT_AGE:
        raise ValidationFailed("Guardians are linked to minors only.", field="patientId")
    label = v.text(relationship, "relationship", max_length=40, required=True) or ""
    async with unit_of_work() as uow:
        link = await GuardianLink.get_or_none(patient_id=patient.id, guardian_id=guardian.id)
        if link is None:
            link = GuardianLink(
                id=uuid4(),
                practice_id=patient.practice_id,
                patient_id=patient.id,
                guardian_id=guardian.id,
            )
        link.relationship = label
        link.parental_responsibility = parental_responsibility
        await link.save(using_db=uow.connection)
        await record_change(
            uow,
            principal,
            patient,
            action="LINK guardian",
            event="PATIENT_UPDATED",
            changed=["guardians"],
            entity_type="GuardianLink",
            entity_id=link.id,
        )
    return patient


async def unlink_guardian(principal: Principal, *, patient_id: UUID, guardian_id: UUID) -> Patient:
    patient, guardian = await _pair(principal, patient_id, guardian_id)
    async with unit_of_work() as uow:
        removed = await GuardianLink.filter(patient_id=patient.id, guardian_id=guardian.id).delete()
        if not removed:
            raise NotFound("Guardian link")
        await record_change(
            uow,
            principal,
            patient,
            action="UNLINK guardian",
            event="PATIENT_UPDATED",
            changed=["guardians"],
        )
    return patient
