"""Who may read or change a patient's privacy data: the patient access rules plus scopes.

Reads go through ``services.patients.access`` so "not yours" stays NOT_FOUND (and a partner
without DATA_SHARING consent sees nothing). Changes need the scope in the patient's practice.
"""

from __future__ import annotations

from uuid import UUID

from db.models import Patient, Practice
from db.tenancy import PracticeId
from services import audit
from services.errors import PolicyDenied
from services.patients import access as patient_access
from services.policy import Scope
from services.principal import Principal


def practice_of(patient: Patient) -> PracticeId:
    return PracticeId(UUID(str(patient.practice_id)))


async def readable(principal: Principal, patient_id: UUID) -> Patient:
    return await patient_access.readable_patient(principal, patient_id)


async def staff_with(
    principal: Principal, scope: Scope, patient_id: UUID, *, action: str
) -> Patient:
    """The patient, if the caller is staff holding ``scope`` in its practice (else FORBIDDEN)."""
    patient = await readable(principal, patient_id)
    pid = practice_of(patient)
    if principal.is_patient or principal.client_id or not principal.has_scope(scope, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to do this.")
    return patient


async def organization_of(principal: Principal, practice_id: PracticeId) -> UUID:
    known = principal.organization_of(practice_id)
    if known is not None:
        return known
    practice = await Practice.get(id=practice_id)
    return UUID(str(practice.organization_id))
