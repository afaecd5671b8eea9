"""May this principal see this patient's data? The one decision every path that lets it out asks.

The rules, in order (all must hold):

- **Tenancy.** The patient's practice is one the principal belongs to (staff and patients by
  membership, partners by their client registration). The system owner belongs to none.
- **Own record or guardian.** A PATIENT principal sees only the records its account holds: its
  own, and a child's through guardian access (both are ``principal.patient_ids``).
- **Partners: consent, and no restriction.** A partner client sees a patient only while the
  patient's newest ``DATA_SHARING`` decision for that client is a grant and no processing
  restriction (Art. 18) is in force.

Scopes are a separate question (``@requires`` and the services check them): visibility says
*whose* data may leave, scopes say *which fields*. Every function here decides for many patients
with a constant number of SQL statements (none for staff and patients, two for a partner), so the
board and live events can ask it for every row. Callers that already loaded the rows pass each
patient's practice; callers holding only ids use :func:`visible_ids` (one more statement).

Paths that call it: ``services.patients.patient_access`` (``patient(id)``, every read or change
of one patient, exports, consent views, a patient's account, statement, memberships and NHS
courses), invoices and their PDFs (``services.billing.invoices``), patient search, the board
and ``patientAppointments`` (``services.scheduling.board``), recalls and waitlist lists, the
billing work list and aged debt (``services.billing.report_access``), nested guardian names,
the subscription start and every live event delivered (``graph.schema.event_visibility``),
``node``/``nodes`` (through the typed fields' services, and their batched twins
``patient_access.readable_patients`` and ``board.appointments``).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from uuid import UUID

from db.models import Patient
from db.queries import consent
from db.queries import patients as patient_rows
from db.tenancy import PracticeId
from services.errors import NotFound
from services.principal import Principal

__all__ = ["hidden_of", "require", "visible", "visible_ids", "visible_in"]


async def visible(principal: Principal, patients: Mapping[UUID, UUID]) -> frozenset[UUID]:
    """The patients (id -> their practice id) this principal may see right now."""
    if not patients or not principal.is_authenticated or principal.enrolment_only:
        return frozenset()
    mine = principal.practice_ids
    in_tenancy = {p for p, practice in patients.items() if practice in mine}
    if principal.is_patient:
        return frozenset(in_tenancy & principal.patient_ids)
    if principal.client_id is not None:
        return frozenset(await consent.shared_with_partner(principal.client_id, in_tenancy))
    return frozenset(in_tenancy)


async def hidden_of(principal: Principal, patients: Mapping[UUID, UUID]) -> frozenset[UUID]:
    """The complement of :func:`visible` over ``patients``: whose data must not leave."""
    return frozenset(patients) - await visible(principal, patients)


async def visible_ids(principal: Principal, patient_ids: Collection[UUID]) -> frozenset[UUID]:
    """:func:`visible` for bare ids: their practices are read in one statement."""
    if not patient_ids or not principal.is_authenticated:
        return frozenset()
    rows = await patient_rows.practices_of(principal.practice_ids, patient_ids)
    return await visible(principal, {UUID(str(p)): UUID(str(practice)) for p, practice in rows})


async def require(principal: Principal, patient: Patient) -> Patient:
    """The patient if visible, else NOT_FOUND (exactly like a random id)."""
    pid = UUID(str(patient.id))
    if pid not in await visible(principal, {pid: UUID(str(patient.practice_id))}):
        raise NotFound("Patient")
    return patient


async def visible_in(principal: Principal, practice_id: PracticeId) -> frozenset[UUID] | None:
    """For lists of one practice: the only patients that may appear, or None for "any of the
    practice's" (staff). Empty when nobody may (not a member, the system owner)."""
    if not principal.is_authenticated or practice_id not in principal.practice_ids:
        return frozenset()
    if principal.is_patient:
        return principal.patient_ids
    if principal.client_id is not None:
        return await consent.shared_in_practice(principal.client_id, practice_id)
    return None
