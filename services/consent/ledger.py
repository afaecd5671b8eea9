"""Recording consent decisions: every change is a new ledger row, an audit record and an event.

Staff with consent:write record any purpose; patients record and withdraw their own marketing
consents through the portal. The patient row is locked while the next ledger position is taken,
so concurrent decisions for one patient get distinct, ordered positions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import ConsentRecord, Patient
from db.models.consent import CaptureMethod, ConsentPurpose
from db.outbox import PendingEvent
from db.queries import accounts, patient_appointments
from db.queries import consent as queries
from db.queries import patients as patient_queries
from db.tenancy import OrganizationId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.consent import privacy_access
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import ANONYMOUS, Principal

TOPIC = "consent"  # realtime.envelopes.CONSENT
GRANTED, WITHDRAWN = "consent.granted", "consent.withdrawn"
PATIENT_PURPOSES = frozenset(
    {
        ConsentPurpose.MARKETING_EMAIL,
        ConsentPurpose.MARKETING_SMS,
        ConsentPurpose.MARKETING_POST,
        ConsentPurpose.PHOTOS_IN_MARKETING,
    }
)


@dataclass(frozen=True, slots=True)
class Decision:
    purpose: ConsentPurpose
    granted: bool
    policy_version: str
    method: CaptureMethod
    partner_client_id: str | None = None
    treatment_id: UUID | None = None
    evidence_ref: str | None = None
    effective_at: datetime | None = None


async def _subject(patient: Patient, decision: Decision, organization_id: OrganizationId) -> str:
    """What the purpose is about: a partner client, a treatment, or nothing."""
    if decision.purpose is ConsentPurpose.DATA_SHARING:
        if not decision.partner_client_id:
            raise ValidationFailed("Data sharing needs a partner client.", field="partnerClientId")
        if not await accounts.partner_in(organization_id, decision.partner_client_id):
            raise NotFound("Partner client")
        return decision.partner_client_id
    if decision.purpose is ConsentPurpose.TREATMENT:
        if decision.treatment_id is None:
            raise ValidationFailed("Treatment consent needs a treatment.", field="treatmentId")
        pid = tenant_gate.practice_of(patient)
        if not await patient_appointments.is_patients(pid, patient.id, decision.treatment_id):
            raise NotFound("Treatment")
        return str(decision.treatment_id)
    if decision.partner_client_id or decision.treatment_id:
        raise ValidationFailed("This purpose takes no partner or treatment.", field="purpose")
    return ""


async def _permitted(principal: Principal, patient_id: UUID, decision: Decision) -> Patient:
    if principal.is_patient:
        patient = await privacy_access.readable(principal, patient_id)
        if decision.purpose not in PATIENT_PURPOSES or decision.method is not CaptureMethod.PORTAL:
            await audit.record_denied(
                principal, action="RECORD consent", practice_id=tenant_gate.practice_of(patient)
            )
            raise PolicyDenied("Patients manage their own marketing consents via the portal.")
        return patient
    return await privacy_access.staff_with(
        principal, Scope.CONSENT_WRITE, patient_id, action="RECORD consent"
    )


def _clean(decision: Decision) -> None:
    version = decision.policy_version.strip()
    if not version or len(version) > 40:
        raise ValidationFailed(
            "Give the policy or form version (1-40 characters).", field="policyVersion"
        )
    if decision.evidence_ref is not None and len(decision.evidence_ref) > 200:
        raise ValidationFailed("Evidence reference is too long.", field="evidenceRef")
    if decision.effective_at is not None and decision.effective_at > datetime.now(UTC):
        raise ValidationFailed("A decision cannot take effect in the future.", field="effectiveAt")


async def record(
    principal: Principal, *, patient_id: UUID, decision: Decision, withdrawal: bool = False
) -> ConsentRecord:
    """Appends one decision. ``withdrawal`` insists there is a current grant to withdraw."""
    _clean(decision)
    patient = await _permitted(principal, patient_id, decision)
    pid = tenant_gate.practice_of(patient)
    organization_id = await privacy_access.organization_of(principal, pid)
    subject = await _subject(patient, decision, organization_id)
    async with unit_of_work() as uow:
        conn = uow.connection
        await patient_queries.locked(pid, patient.id, conn)
        if withdrawal:
            latest = (await queries.current_for(patient.id)).get((decision.purpose.value, subject))
            if latest is None or not latest.granted:
                raise Conflict("There is no current consent to withdraw.", field="purpose")
        return await _append(uow, principal, patient, organization_id, decision, subject)


async def _append(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    organization_id: OrganizationId,
    decision: Decision,
    subject: str,
) -> ConsentRecord:
    """One ledger row, its audit record and its event, in the caller's unit of work."""
    conn = uow.connection
    pid = tenant_gate.practice_of(patient)
    row = ConsentRecord(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        seq=await queries.next_seq(patient.id, conn),
        purpose=decision.purpose.value,
        subject=subject,
        granted=decision.granted,
        policy_version=decision.policy_version.strip(),
        method=decision.method.value,
        evidence_ref=decision.evidence_ref,
        recorded_by_user_id=principal.user_id,
        recorded_by_role=principal.primary_role,
        effective_at=decision.effective_at or datetime.now(UTC),
    )
    await row.save(using_db=conn)
    uow.audit(
        audit.record_for(
            principal,
            action="RECORD consent" if decision.granted else "WITHDRAW consent",
            practice_id=pid,
            entity_type="ConsentRecord",
            entity_id=row.id,
            patient_id=patient.id,
            fields=[decision.purpose.value, "granted" if decision.granted else "withdrawn"],
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=organization_id,
            practice_id=pid,
            topic=TOPIC,
            type=GRANTED if decision.granted else WITHDRAWN,
            entity_id=row.id,
            patient_id=patient.id,
            payload=actors.stamped(
                {"purpose": decision.purpose.value, "granted": decision.granted}, principal
            ),
            patient_stream=True,  # consentChanged watches one patient: its stream is theirs
        )
    )
    return row


async def treatment_accepted_in(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    *,
    treatment_id: UUID,
    policy_version: str,
    evidence_ref: str,
    effective_at: datetime,
    method: CaptureMethod = CaptureMethod.RECEPTION,
) -> ConsentRecord:
    """A TREATMENT grant for something the patient signed, in the caller's unit of work.

    Callers: treatment-plan acceptance (``treatment_id`` the plan) and consent-form signing
    (the form instance; ``method`` PORTAL when the patient signed in the portal). The caller
    has proved the signed thing is this patient's; the ledger row's subject is its id, so
    consent to a plan or a form is one ledger entry like any other and is withdrawn the same
    way."""
    decision = Decision(
        purpose=ConsentPurpose.TREATMENT,
        granted=True,
        policy_version=policy_version,
        method=method,
        treatment_id=treatment_id,
        evidence_ref=evidence_ref,
        effective_at=effective_at,
    )
    _clean(decision)
    pid = tenant_gate.practice_of(patient)
    organization_id = await privacy_access.organization_of(principal, pid)
    await patient_queries.locked(pid, patient.id, uow.connection)
    return await _append(uow, principal, patient, organization_id, decision, str(treatment_id))


async def treatment_withdrawn_in(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    *,
    treatment_id: UUID,
    evidence_ref: str,
) -> ConsentRecord | None:
    """Withdraws the current TREATMENT grant whose subject is ``treatment_id`` (a voided
    consent form), in the caller's unit of work; None when there is no current grant."""
    pid = tenant_gate.practice_of(patient)
    await patient_queries.locked(pid, patient.id, uow.connection)
    latest = (await queries.current_for(patient.id)).get(
        (ConsentPurpose.TREATMENT.value, str(treatment_id))
    )
    if latest is None or not latest.granted:
        return None
    decision = Decision(
        purpose=ConsentPurpose.TREATMENT,
        granted=False,
        policy_version=latest.policy_version,
        method=CaptureMethod(latest.method),
        treatment_id=treatment_id,
        evidence_ref=evidence_ref,
    )
    _clean(decision)
    organization_id = await privacy_access.organization_of(principal, pid)
    return await _append(uow, principal, patient, organization_id, decision, str(treatment_id))


async def withdraw_all_in(
    uow: UnitOfWork, principal: Principal, patient: Patient, *, evidence: str
) -> int:
    """Withdraws every current grant (an erasure request ends all consent)."""
    organization_id = await privacy_access.organization_of(
        principal, tenant_gate.practice_of(patient)
    )
    granted = [r for r in (await queries.current_for(patient.id)).values() if r.granted]
    for latest in granted:
        decision = Decision(
            purpose=ConsentPurpose(latest.purpose),
            granted=False,
            policy_version=latest.policy_version,
            method=CaptureMethod(latest.method),
            evidence_ref=evidence,
        )
        await _append(uow, principal, patient, organization_id, decision, latest.subject)
    return len(granted)


async def withdraw_by_link_in(
    uow: UnitOfWork,
    patient: Patient,
    organization_id: OrganizationId,
    purpose: ConsentPurpose,
    *,
    evidence: str,
) -> bool:
    """The patient's signed unsubscribe link (no sign-in): withdraws the current grant."""
    latest = (await queries.current_for(patient.id)).get((purpose.value, ""))
    if latest is None or not latest.granted:
        return False
    decision = Decision(
        purpose=purpose,
        granted=False,
        policy_version=latest.policy_version,
        method=CaptureMethod.PORTAL,
        evidence_ref=evidence,
    )
    await _append(uow, ANONYMOUS, patient, organization_id, decision, latest.subject)
    return True


async def current(principal: Principal, *, patient_id: UUID) -> list[ConsentRecord]:
    patient = await privacy_access.readable(principal, patient_id)
    latest = await queries.current_for(patient.id)
    return sorted(latest.values(), key=lambda r: (r.purpose, r.subject))


async def history(
    principal: Principal, *, patient_id: UUID, first: int, after_seq: int | None
) -> tuple[list[ConsentRecord], bool]:
    patient = await privacy_access.readable(principal, patient_id)
    rows = await queries.history_page(patient.id, after_seq=after_seq, limit=first + 1)
    return rows[:first], len(rows) > first
