"""Who may read or change which patient: practice scopes plus a patient's own record.

"Not in your practices" and "does not exist" are the same NOT_FOUND. A caller who may read a
patient but lacks the scope to change it gets FORBIDDEN, and the attempt is audited.
"""

from __future__ import annotations

from uuid import UUID

from db.models import Patient
from db.queries import consent
from db.queries import patients as queries
from db.tenancy import OrganizationId, PracticeId
from services import audit
from services.errors import NotFound, PolicyDenied
from services.policy import Scope
from services.principal import Principal


def readable_practices(principal: Principal) -> frozenset[PracticeId]:
    return principal.practices_with(Scope.PATIENT_READ)


def own_records(principal: Principal) -> frozenset[UUID] | None:
    """For a PATIENT principal, the only records they may see; None for staff."""
    return principal.patient_ids if principal.is_patient else None


async def readable_patient(principal: Principal, patient_id: UUID) -> Patient:
    found = await queries.patient(readable_practices(principal), patient_id)
    own = own_records(principal)
    if found is None or (own is not None and found.id not in own):
        raise NotFound("Patient")
    if principal.client_id is not None and not await consent.shared_with_partner(
        principal.client_id, [found.id]
    ):
        raise NotFound("Patient")  # no current DATA_SHARING consent, or restricted
    return found


async def require(principal: Principal, scope: Scope, patient: Patient, *, action: str) -> None:
    """FORBIDDEN (audited) when the caller sees the patient but may not do this to it."""
    practice_id = PracticeId(patient.practice_id)  # type: ignore[arg-type]
    if principal.has_scope(scope, practice_id) and not principal.is_patient:
        return
    await audit.record_denied(principal, action=action, practice_id=practice_id)
    raise PolicyDenied("You do not have permission to change this patient.")


async def writable_practice(principal: Principal, practice_id: UUID, *, action: str) -> PracticeId:
    """The practice a new patient goes into: NOT_FOUND unless the caller can see it."""
    pid = PracticeId(practice_id)
    if pid not in principal.practices_with(Scope.PRACTICE_READ) | readable_practices(principal):
        raise NotFound("Practice")
    if principal.is_patient or not principal.has_scope(Scope.PATIENT_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to add patients here.")
    return pid


def organization_of(principal: Principal, practice_id: PracticeId) -> OrganizationId | None:
    return principal.organization_of(practice_id)
