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
``patient_access.readable_patients`` and ``board.appointments``), webhook deliveries and the
``changes`` sync feed (:func:`visible_events`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from uuid import UUID

from db.models import Patient
from db.queries import consent
from db.queries import patients as patient_rows
from db.tenancy import PracticeId
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal

__all__ = [
    "hidden_of",
    "require",
    "told_of_erasure",
    "visible",
    "visible_events",
    "visible_ids",
    "visible_in",
]


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


async def visible_events(
    principal: Principal, events: Sequence[tuple[UUID, UUID | None, Scope]]
) -> list[bool]:
    """For event feeds (webhooks, the ``changes`` sync feed): may this principal be told of
    each event, given as (its practice, its patient or None, the scope its kind needs)?

    The scope must be held in the event's practice; an event about a patient needs that
    patient visible (:func:`visible`, one decision for the whole batch); one about no patient
    needs the practice to be the principal's.
    """
    scoped = [scope in principal.scopes_in(practice) for practice, _, scope in events]
    patients = {
        patient: practice
        for (practice, patient, _), ok in zip(events, scoped, strict=True)
        if ok and patient is not None
    }
    seen = await visible(principal, patients)
    return [
        ok and (practice in principal.practice_ids if patient is None else patient in seen)
        for (practice, patient, _), ok in zip(events, scoped, strict=True)
    ]


async def told_of_erasure(principal: Principal, patients: Mapping[UUID, UUID]) -> frozenset[UUID]:
    """The patients (id -> practice) whose erasure this principal is told of, as a bare id and
    time (a tombstone, never data): whoever may see them now, and a partner app the patient
    shared data with at some time, since an erasure withdraws every consent in the same
    transaction and a recipient must still hear of it (UK GDPR Art. 19)."""
    now = await visible(principal, patients)
    if principal.client_id is None or not principal.is_authenticated:
        return now
    mine = principal.practice_ids
    candidates = {p for p, practice in patients.items() if practice in mine and p not in now}
    return now | frozenset(await consent.ever_shared_with_partner(principal.client_id, candidates))


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
