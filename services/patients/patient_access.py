"""Who may read or change which patient: practice scopes plus ``services.visibility``.

"Not in your practices" and "does not exist" are the same NOT_FOUND. A caller who may read a
patient but lacks the scope to change it gets FORBIDDEN, and the attempt is audited.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from db.models import Patient
from db.queries import organizations
from db.queries import patients as queries
from db.tenancy import OrganizationId, PracticeId
from services import audit, tenant_gate, visibility
from services.errors import NotFound, PolicyDenied
from services.policy import Scope
from services.principal import Principal


def readable_practices(principal: Principal) -> frozenset[PracticeId]:
    return principal.practices_with(Scope.PATIENT_READ)


async def readable_patient(principal: Principal, patient_id: UUID) -> Patient:
    """The patient if the caller reads patients there and may see this one (``visibility``)."""
    found = await queries.patient(readable_practices(principal), patient_id)
    if found is None:
        raise NotFound("Patient")
    return await visibility.require(principal, found)


async def readable_patients(
    principal: Principal, patient_ids: Collection[UUID]
) -> dict[UUID, Patient]:
    """:func:`readable_patient` for many ids at once (one statement, two for a partner): the
    ones it would return, by id; the rest it would answer NOT_FOUND."""
    found = await queries.patients_by_ids(readable_practices(principal), patient_ids)
    shown = await visibility.visible(
        principal, {UUID(str(p.id)): UUID(str(p.practice_id)) for p in found}
    )
    return {UUID(str(p.id)): p for p in found if UUID(str(p.id)) in shown}


async def require(principal: Principal, scope: Scope, patient: Patient, *, action: str) -> None:
    """FORBIDDEN (audited) when the caller sees the patient but may not do this to it."""
    practice_id = tenant_gate.practice_of(patient)
    if principal.has_scope(scope, practice_id) and not principal.is_patient:
        return
    await audit.record_denied(principal, action=action, practice_id=practice_id)
    raise PolicyDenied("You do not have permission to change this patient.")


async def clinical_patient(
    principal: Principal, patient_id: UUID, scope: Scope, *, action: str
) -> Patient:
    """The patient for a clinical read or change: NOT_FOUND when hidden; FORBIDDEN (audited)
    without ``scope`` in the patient's practice (a change also refuses patient principals)."""
    patient = await readable_patient(principal, patient_id)
    if scope is Scope.CLINICAL_WRITE:
        await require(principal, scope, patient, action=action)
        return patient
    practice_id = tenant_gate.practice_of(patient)
    if not principal.has_scope(scope, practice_id):
        await audit.record_denied(principal, action=action, practice_id=practice_id)
        raise PolicyDenied("You do not have permission to read this patient's clinical record.")
    return patient


async def writable_practice(principal: Principal, practice_id: UUID, *, action: str) -> PracticeId:
    """The practice a new patient goes into: NOT_FOUND unless the caller can see it."""
    visible = principal.practices_with(Scope.PRACTICE_READ) | readable_practices(principal)
    pid = tenant_gate.practice_among(visible, practice_id)
    if principal.is_patient or not principal.has_scope(Scope.PATIENT_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to add patients here.")
    return pid


async def organization_of(principal: Principal, practice_id: PracticeId) -> OrganizationId:
    """The organisation of a practice the caller reached (from the token when it says, else
    read once: a system-wide role carries no practice-to-organisation map)."""
    known = principal.organization_of(practice_id)
    if known is not None:
        return known
    practice = await organizations.practice([practice_id], practice_id)
    if practice is None:
        raise NotFound("Practice")
    return tenant_gate.organization_of(practice)
