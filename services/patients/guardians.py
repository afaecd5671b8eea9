"""Guardian links: who holds parental responsibility for a minor (both are practice patients)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import UUID, uuid4

from db.models import GuardianLink, Patient
from db.queries import guardians as queries
from db.queries import memberships, portal_accounts
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.errors import NotFound, ValidationFailed
from services.patients import patient_access
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Role, Scope
from services.principal import Principal

ADULT_AGE = 18


def age_on(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


async def _pair(
    principal: Principal, patient_id: UUID, guardian_id: UUID
) -> tuple[Patient, Patient]:
    patient = await patient_access.readable_patient(principal, patient_id)
    await patient_access.require(principal, Scope.PATIENT_WRITE, patient, action="LINK guardian")
    if guardian_id == patient.id:
        raise ValidationFailed("A patient cannot be their own guardian.", field="guardianId")
    guardian = await patient_access.readable_patient(principal, guardian_id)
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
        link = await queries.link(tenant_gate.practice_of(patient), patient.id, guardian.id)
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
        if not parental_responsibility:
            await _revoke_portal_access(uow, principal, patient, guardian.id)
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
        pid = tenant_gate.practice_of(patient)
        removed = await queries.unlink(pid, patient.id, guardian.id)
        if not removed:
            raise NotFound("Guardian link")
        await _revoke_portal_access(uow, principal, patient, guardian.id)
        await record_change(
            uow,
            principal,
            patient,
            action="UNLINK guardian",
            event="PATIENT_UPDATED",
            changed=["guardians"],
        )
    return patient


async def _revoke_portal_access(
    uow: UnitOfWork, principal: Principal, patient: Patient, guardian_id: UUID
) -> None:
    """Portal access to a minor rides on parental responsibility: losing it ends the access.

    Runs in the caller's unit of work, so the link change and the revocation commit together.
    """
    role = Role.PATIENT.value
    user_ids = await memberships.holders_of(guardian_id, role, uow.connection)
    if not user_ids:
        return
    revoked = await portal_accounts.revoke(user_ids, patient.id, role, uow.connection)
    if revoked:
        for user_id in user_ids:
            uow.audit(
                audit.record_for(
                    principal,
                    action="REVOKE guardian portal access",
                    practice_id=tenant_gate.practice_of(patient),
                    entity_type="User",
                    entity_id=user_id,
                    patient_id=patient.id,
                )
            )
