"""Prescriber sign-off: face-to-face consultations, prescriptions, and the check made when a
prescription-only product is administered.

- A consultation is recorded by clinical staff (clinical:write) for a prescriber who holds a
  prescribing registration (not revoked, not expired) on the day it is held.
- A prescription is issued by the prescriber themself, from one of their own face-to-face
  consultations with the patient; it names the patient, the product and a dose range, and is
  valid until a stated time (at most a year). Cancelling stops its use at once.
- :func:`check_administration` is what a treatment asks before it is written: each
  prescription-only product given needs a live prescription naming that patient and product,
  issued before and valid at the treatment time, with the visit's total for the product inside
  the dose range. Otherwise CONFLICT naming ``prescriptionId``.

The patient is reached through ``patient_access`` (tenancy and ``services.visibility``), so
another practice's consultation or prescription answers like a random id. Each change is
audited with an ids-only event on the patient's clinical stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from uuid import UUID, uuid4

from db.models import AestheticConsultation, Patient, Practitioner, Prescription, Product
from db.queries import aesthetic_treatments as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.aesthetics.doses import to_milli
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id, record_change
from services.policy import Scope
from services.principal import Principal

TOPIC = "clinical"
MAX_VALIDITY = timedelta(days=366)
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class NewConsultation:
    patient_id: UUID
    prescriber_id: UUID
    held_at: datetime
    face_to_face: bool
    notes: str | None = None
    appointment_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class NewPrescription:
    consultation_id: UUID
    product_id: UUID
    dose_min: Decimal
    dose_max: Decimal
    valid_until: datetime
    directions: str | None = None


@dataclass(frozen=True, slots=True)
class PrescriptionView:
    prescription: Prescription
    product: Product
    prescriber: Practitioner


@dataclass(frozen=True, slots=True)
class ConsultationView:
    consultation: AestheticConsultation
    prescriber: Practitioner


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"'{field}' needs a time zone.", field=field)
    return value


def not_future(value: datetime, field: str) -> datetime:
    if aware(value, field) > datetime.now(UTC) + CLOCK_SKEW:
        raise ValidationFailed(f"'{field}' is in the future.", field=field)
    return value


async def clinical_patient(principal: Principal, patient_id: UUID, action: str) -> Patient:
    patient = await patient_access.readable_patient(principal, patient_id)
    await patient_access.require(principal, Scope.CLINICAL_WRITE, patient, action=action)
    return patient


async def _prescriber(pid: PracticeId, practitioner_id: UUID, on: datetime) -> Practitioner:
    found = await queries.practitioner(pid, practitioner_id)
    if found is None:
        raise NotFound("Practitioner")
    if await queries.prescriber_registration(pid, practitioner_id, on.date()) is None:
        raise Conflict(
            "This practitioner holds no prescribing registration in force on that day.",
            field="prescriberId",
        )
    return found


async def record_consultation(principal: Principal, new: NewConsultation) -> ConsultationView:
    patient = await clinical_patient(principal, new.patient_id, "RECORD aesthetic_consultation")
    pid = tenant_gate.practice_of(patient)
    held_at = not_future(new.held_at, "heldAt")
    prescriber = await _prescriber(pid, new.prescriber_id, held_at)
    notes = v.text(new.notes or "", "notes", max_length=5000)
    row = AestheticConsultation(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        prescriber_id=prescriber.id,
        appointment_id=new.appointment_id,
        held_at=held_at,
        face_to_face=new.face_to_face,
        recorded_by_user_id=principal.user_id,
    )
    row.notes = sealing.seal(row, "notes", notes)
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await record_change(
            uow,
            principal,
            patient,
            action="RECORD aesthetic_consultation",
            event="AESTHETIC_CONSULTATION_RECORDED",
            changed=["consultations"],
            entity_type="AestheticConsultation",
            entity_id=row.id,
            topic=TOPIC,
            patient_stream=True,
        )
    return ConsultationView(row, prescriber)


async def issue(principal: Principal, new: NewPrescription) -> PrescriptionView:
    found = await queries.consultation(
        principal.practices_with(Scope.PATIENT_READ), new.consultation_id
    )
    if found is None:
        raise NotFound("Consultation")
    try:
        patient = await clinical_patient(
            principal, UUID(str(found.patient_id)), "ISSUE prescription"
        )
    except NotFound:
        raise NotFound("Consultation") from None
    pid = tenant_gate.practice_of(patient)
    now = datetime.now(UTC)
    prescriber = await _prescriber(pid, UUID(str(found.prescriber_id)), now)
    if principal.user_id is None or str(prescriber.user_id) != str(principal.user_id):
        raise PolicyDenied("Only the prescriber who held the consultation may prescribe.")
    if not found.face_to_face:
        raise Conflict("A prescription needs a face-to-face consultation.", field="consultationId")
    product = await queries.product(await organization_id(principal, pid), new.product_id)
    if product is None:
        raise NotFound("Product")
    dose_min = to_milli(new.dose_min, "doseMin")
    dose_max = to_milli(new.dose_max, "doseMax")
    if dose_max < dose_min:
        raise ValidationFailed("'doseMax' is below 'doseMin'.", field="doseMax")
    valid_until = aware(new.valid_until, "validUntil")
    if valid_until <= now or valid_until > now + MAX_VALIDITY:
        raise ValidationFailed("'validUntil' is within the next year.", field="validUntil")
    directions = v.text(new.directions or "", "directions", max_length=2000)
    row = Prescription(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        prescriber_id=prescriber.id,
        consultation_id=found.id,
        product_id=product.id,
        dose_min_milli=dose_min,
        dose_max_milli=dose_max,
        issued_at=now,
        valid_until=valid_until,
    )
    row.directions = sealing.seal(row, "directions", directions)
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _changed(uow, principal, patient, row, "ISSUE prescription", "PRESCRIPTION_ISSUED")
    return PrescriptionView(row, product, prescriber)


async def cancel(principal: Principal, *, prescription_id: UUID) -> PrescriptionView:
    allowed = principal.practices_with(Scope.PATIENT_READ)
    found = await queries.prescription(allowed, prescription_id)
    if found is None:
        raise NotFound("Prescription")
    try:
        patient = await clinical_patient(
            principal, UUID(str(found.patient_id)), "CANCEL prescription"
        )
    except NotFound:
        raise NotFound("Prescription") from None
    pid = tenant_gate.practice_of(patient)
    async with unit_of_work() as uow:
        row = await queries.prescription({pid}, prescription_id, uow.connection)
        assert row is not None  # never deleted
        if row.cancelled_at is not None:
            raise Conflict("This prescription is already cancelled.", field="prescriptionId")
        row.cancelled_at = datetime.now(UTC)
        row.cancelled_by_user_id = principal.user_id
        await row.save(
            using_db=uow.connection, update_fields=["cancelled_at", "cancelled_by_user_id"]
        )
        await _changed(
            uow, principal, patient, row, "CANCEL prescription", "PRESCRIPTION_CANCELLED"
        )
    return await view(row)


async def view(row: Prescription) -> PrescriptionView:
    pid = tenant_gate.practice_of(row)
    products = await queries.products_by_id({UUID(str(row.product_id))})
    prescriber = await queries.practitioner(pid, UUID(str(row.prescriber_id)))
    assert prescriber is not None
    return PrescriptionView(row, products[UUID(str(row.product_id))], prescriber)


async def _changed(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    row: Prescription,
    action: str,
    event: str,
) -> None:
    await record_change(
        uow,
        principal,
        patient,
        action=action,
        event=event,
        changed=["prescriptions"],
        entity_type="Prescription",
        entity_id=row.id,
        topic=TOPIC,
        patient_stream=True,
    )


async def check_administration(
    pid: PracticeId,
    patient: Patient,
    treated_at: datetime,
    totals: Mapping[UUID, int],
    products: Mapping[UUID, Product],
    prescription_id: UUID | None,
) -> Prescription | None:
    """The prescription covering this visit's prescription-only products, or CONFLICT naming
    ``prescriptionId`` (none given, not this patient's, another product, cancelled, not yet
    or no longer valid, or the visit's total outside the dose range)."""
    needed = [pid_ for pid_, p in products.items() if p.prescription_only and pid_ in totals]
    found = None
    if prescription_id is not None:
        found = await queries.prescription({pid}, prescription_id)
        if found is None or str(found.patient_id) != str(patient.id):
            raise NotFound("Prescription")
    if not needed:
        return found
    if found is None:
        raise Conflict(
            "A prescription-only product needs a prescription for this patient.",
            field="prescriptionId",
        )
    if len(needed) > 1 or UUID(str(found.product_id)) != needed[0]:
        raise Conflict(
            "The prescription does not name every prescription-only product given.",
            field="prescriptionId",
        )
    if found.cancelled_at is not None:
        raise Conflict("The prescription was cancelled.", field="prescriptionId")
    if not found.issued_at <= treated_at <= found.valid_until:
        raise Conflict(
            "The prescription is not valid at the treatment time.", field="prescriptionId"
        )
    total = totals[needed[0]]
    if not found.dose_min_milli <= total <= found.dose_max_milli:
        raise Conflict(
            "The total given is outside the prescribed dose range.", field="prescriptionId"
        )
    return found


async def _readable(principal: Principal, patient_id: UUID, action: str) -> Patient:
    patient = await patient_access.readable_patient(principal, patient_id)
    pid = tenant_gate.practice_of(patient)
    if not principal.has_scope(Scope.CLINICAL_READ, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to read this patient's clinical record.")
    return patient


async def prescriptions_of(principal: Principal, *, patient_id: UUID) -> list[PrescriptionView]:
    """The patient's prescriptions, newest first (cancelled and lapsed ones too)."""
    patient = await _readable(principal, patient_id, "READ prescription")
    pid = tenant_gate.practice_of(patient)
    rows = await queries.prescriptions_of_patient(pid, UUID(str(patient.id)))
    products = await queries.products_by_id({UUID(str(r.product_id)) for r in rows})
    prescribers = await queries.practitioners_by_id(
        {pid}, {UUID(str(r.prescriber_id)) for r in rows}
    )
    return [
        PrescriptionView(
            r, products[UUID(str(r.product_id))], prescribers[UUID(str(r.prescriber_id))]
        )
        for r in rows
    ]


async def consultations_of(principal: Principal, *, patient_id: UUID) -> list[ConsultationView]:
    """The patient's aesthetic consultations, newest first."""
    patient = await _readable(principal, patient_id, "READ aesthetic_consultation")
    pid = tenant_gate.practice_of(patient)
    rows = await queries.consultations_of_patient(pid, UUID(str(patient.id)))
    prescribers = await queries.practitioners_by_id(
        {pid}, {UUID(str(r.prescriber_id)) for r in rows}
    )
    return [ConsultationView(r, prescribers[UUID(str(r.prescriber_id))]) for r in rows]
