"""Who may read or change a patient's privacy data: the patient access rules plus scopes.

Reads go through ``services.patients.patient_access`` so "not yours" stays NOT_FOUND (and a partner
without DATA_SHARING consent sees nothing). Changes need the scope in the patient's practice.
"""

from __future__ import annotations

from typing import Any, TypeVar
from uuid import UUID

from db.models import Patient
from db.queries import owned
from db.tenancy import OrganizationId, PracticeId
from services import audit, tenant_gate
from services.errors import NotFound, PolicyDenied
from services.patients import patient_access as patient_access
from services.policy import Scope
from services.principal import Principal


async def readable(principal: Principal, patient_id: UUID) -> Patient:
    return await patient_access.readable_patient(principal, patient_id)


Row = TypeVar("Row", bound=Any)


async def patient_row(
    principal: Principal, model: type[Row], row_id: UUID, *, entity: str, **filters: Any
) -> tuple[Row, Patient]:
    """A patient-linked row (a restriction, a subject request) and its patient, if the caller
    may see both. Another practice's row, a row about a patient the caller may not see and a
    random id are the same ``NotFound(entity)``, message included."""
    row = await owned.row(model, patient_access.readable_practices(principal), row_id, **filters)
    if row is None:
        raise NotFound(entity)
    try:
        patient = await readable(principal, UUID(str(row.patient_id)))
    except NotFound:
        raise NotFound(entity) from None
    return row, patient


async def staff_with(
    principal: Principal, scope: Scope, patient_id: UUID, *, action: str
) -> Patient:
    """The patient, if the caller is staff holding ``scope`` in its practice (else FORBIDDEN)."""
    patient = await readable(principal, patient_id)
    await require_staff(principal, scope, patient, action=action)
    return patient


async def require_staff(
    principal: Principal, scope: Scope, patient: Patient, *, action: str
) -> None:
    """FORBIDDEN (audited) unless the caller is staff holding ``scope`` in the patient's
    practice."""
    pid = tenant_gate.practice_of(patient)
    if principal.is_patient or principal.client_id or not principal.has_scope(scope, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to do this.")


async def organization_of(principal: Principal, practice_id: PracticeId) -> OrganizationId:
    return await patient_access.organization_of(principal, practice_id)
