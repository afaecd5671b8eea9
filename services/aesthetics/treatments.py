"""Injectable treatments: a visit's injection points (product, batch, amount, depth, technique,
a site on a versioned face or body map), the stock they use, and complications.

Recording a treatment is one unit of work: the treatment, every point and one USED stock
movement per point (through ``stock_ledger.record``, the one way stock moves) commit together
or not at all. Everything that can be checked before the transaction is (the patient, the
practitioner, products, map sites, amounts, the prescription for a prescription-only product);
what depends on stock (another practice's batch, expired, quarantined, not enough on hand) is
refused inside it, which rolls the whole visit back.

Reading needs clinical:read in the patient's practice, changing clinical:write; the patient is
found through ``patient_access`` (tenancy and ``services.visibility``), so another practice's
treatment answers like a random id. Changes are audited with an ids-only event on the
patient's clinical stream.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import (
    AdverseEvent,
    Batch,
    InjectableTreatment,
    InjectionPoint,
    Patient,
    Practitioner,
    Product,
)
from db.queries import aesthetic_treatments as queries
from db.queries import schedule as schedule_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.aesthetics import face_maps, prescribing, stock_ledger
from services.aesthetics.doses import to_milli
from services.aesthetics.stock_ledger import Move, MovementKind
from services.errors import Conflict, NotFound, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id, record_change
from services.policy import Scope
from services.principal import Principal

TOPIC = "clinical"
MAX_POINTS = 200


class Depth(StrEnum):
    INTRADERMAL = "INTRADERMAL"
    SUBDERMAL = "SUBDERMAL"
    SUBCUTANEOUS = "SUBCUTANEOUS"
    INTRAMUSCULAR = "INTRAMUSCULAR"
    SUPRAPERIOSTEAL = "SUPRAPERIOSTEAL"


class Technique(StrEnum):
    BOLUS = "BOLUS"
    MICRO_BOLUS = "MICRO_BOLUS"
    LINEAR_THREADING = "LINEAR_THREADING"
    FANNING = "FANNING"
    CROSS_HATCHING = "CROSS_HATCHING"
    SERIAL_PUNCTURE = "SERIAL_PUNCTURE"
    CANNULA = "CANNULA"


class AdverseKind(StrEnum):
    BRUISING = "BRUISING"
    SWELLING = "SWELLING"
    INFECTION = "INFECTION"
    VASCULAR_OCCLUSION = "VASCULAR_OCCLUSION"
    PTOSIS = "PTOSIS"
    ALLERGIC_REACTION = "ALLERGIC_REACTION"
    NODULE = "NODULE"
    ASYMMETRY = "ASYMMETRY"
    OTHER = "OTHER"


class Severity(StrEnum):
    MILD = "MILD"
    MODERATE = "MODERATE"
    SEVERE = "SEVERE"
    LIFE_THREATENING = "LIFE_THREATENING"


@dataclass(frozen=True, slots=True)
class NewPoint:
    product_id: UUID
    batch_id: UUID
    amount: Decimal
    depth: Depth
    technique: Technique
    map_key: str
    map_version: int
    zone: str
    x: float
    y: float


@dataclass(frozen=True, slots=True)
class NewTreatment:
    patient_id: UUID
    practitioner_id: UUID
    treated_at: datetime
    points: Sequence[NewPoint]
    notes: str | None = None
    appointment_id: UUID | None = None
    consent_form_id: UUID | None = None
    prescription_id: UUID | None = None


@dataclass(frozen=True, slots=True)
class NewAdverseEvent:
    treatment_id: UUID
    kind: AdverseKind
    severity: Severity
    onset_at: datetime
    description: str
    action_taken: str | None = None
    batch_id: UUID | None = None
    yellow_card_reference: str | None = None


@dataclass(frozen=True, slots=True)
class TreatmentView:
    """One treatment with what showing it needs."""

    treatment: InjectableTreatment
    points: list[InjectionPoint]
    products: dict[UUID, Product]
    batches: dict[UUID, Batch]
    practitioner: Practitioner | None
    adverse_events: list[AdverseEvent] = field(default_factory=list)

    def totals(self) -> dict[UUID, int]:
        """Amount per product in this visit, in thousandths, products in first-use order."""
        found: dict[UUID, int] = {}
        for point in self.points:
            key = UUID(str(point.product_id))
            found[key] = found.get(key, 0) + point.amount_milli
        return found


@dataclass(frozen=True, slots=True)
class _Checked:
    point: NewPoint
    amount_milli: int
    map_key: str
    map_version: int
    zone: str


def _checked_point(point: NewPoint) -> _Checked:
    amount = to_milli(point.amount, "amount")
    if point.depth not in Depth.__members__.values():
        raise ValidationFailed("Unknown depth.", field="depth")
    if point.technique not in Technique.__members__.values():
        raise ValidationFailed("Unknown technique.", field="technique")
    key, version, zone = face_maps.check_site(
        point.map_key, point.map_version, point.zone, point.x, point.y
    )
    return _Checked(point, amount, key, version, zone)


async def _links(pid: PracticeId, patient: Patient, new: NewTreatment) -> None:
    """The appointment and consent form named belong to this patient (NOT_FOUND otherwise)."""
    if new.appointment_id is not None:
        found = await schedule_queries.appointment({pid}, new.appointment_id)
        if found is None or str(found.patient_id) != str(patient.id):
            raise NotFound("Appointment")
    if new.consent_form_id is not None:
        form = await queries.consent_form_of_patient(
            pid, UUID(str(patient.id)), new.consent_form_id
        )
        if form is None:
            raise NotFound("Consent form")


async def record(principal: Principal, new: NewTreatment) -> TreatmentView:
    patient = await patient_access.clinical_patient(
        principal, new.patient_id, Scope.CLINICAL_WRITE, action="RECORD injectable_treatment"
    )
    pid = tenant_gate.practice_of(patient)
    treated_at = prescribing.not_future(new.treated_at, "treatedAt")
    practitioner = await queries.practitioner(pid, new.practitioner_id)
    if practitioner is None:
        raise NotFound("Practitioner")
    if not new.points:
        raise ValidationFailed("A treatment has at least one injection point.", field="points")
    if len(new.points) > MAX_POINTS:
        raise ValidationFailed(f"At most {MAX_POINTS} points per visit.", field="points")
    checked = [_checked_point(p) for p in new.points]
    org = await organization_id(principal, pid)
    products: dict[UUID, Product] = {}
    for item in checked:
        if item.point.product_id not in products:
            found = await queries.product(org, item.point.product_id)
            if found is None:
                raise NotFound("Product")
            products[item.point.product_id] = found
    batches = await queries.batches_by_id(pid, {c.point.batch_id for c in checked})
    for item in checked:
        batch = batches.get(item.point.batch_id)
        if batch is None:
            raise NotFound("Batch")
        if str(batch.product_id) != str(item.point.product_id):
            raise ValidationFailed("This batch is of another product.", field="batchId")
    totals: dict[UUID, int] = {}
    for item in checked:
        totals[item.point.product_id] = totals.get(item.point.product_id, 0) + item.amount_milli
    await _links(pid, patient, new)
    prescription = await prescribing.check_administration(
        pid, patient, treated_at, totals, products, new.prescription_id
    )
    notes = v.text(new.notes or "", "notes", max_length=5000)
    row = InjectableTreatment(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        practitioner_id=practitioner.id,
        appointment_id=new.appointment_id,
        prescription_id=None if prescription is None else prescription.id,
        consent_form_id=new.consent_form_id,
        treated_at=treated_at,
        recorded_by_user_id=principal.user_id,
    )
    row.notes = sealing.seal(row, "notes", notes)
    points: list[InjectionPoint] = []
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        for position, item in enumerate(checked):
            point = InjectionPoint(
                id=uuid4(),
                practice_id=pid,
                patient_id=patient.id,
                treatment_id=row.id,
                product_id=item.point.product_id,
                batch_id=item.point.batch_id,
                amount_milli=item.amount_milli,
                depth=item.point.depth.value,
                technique=item.point.technique.value,
                map_key=item.map_key,
                map_version=item.map_version,
                zone=item.zone,
                x=float(item.point.x),
                y=float(item.point.y),
                position=position,
                treated_at=treated_at,
            )
            await point.save(using_db=uow.connection)
            await stock_ledger.record(
                uow,
                pid,
                item.point.batch_id,
                Move(
                    MovementKind.USED,
                    item.amount_milli,
                    treated_at,
                    principal.user_id,
                    treatment_id=UUID(str(row.id)),
                ),
                on=treated_at.date(),
            )
            points.append(point)
        await _changed(
            uow,
            principal,
            patient,
            row.id,
            "RECORD injectable_treatment",
            "INJECTABLE_TREATMENT_RECORDED",
            entity_type="InjectableTreatment",
        )
    fresh = await queries.batches_by_id(pid, set(batches))
    return TreatmentView(row, points, products, fresh, practitioner)


async def _changed(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    entity_id: object,
    action: str,
    event: str,
    *,
    entity_type: str,
) -> None:
    await record_change(
        uow,
        principal,
        patient,
        action=action,
        event=event,
        changed=["injectableTreatments"],
        entity_type=entity_type,
        entity_id=entity_id,
        topic=TOPIC,
        patient_stream=True,
    )


async def _views(pid: PracticeId, rows: Sequence[InjectableTreatment]) -> list[TreatmentView]:
    ids = [UUID(str(r.id)) for r in rows]
    points = await queries.points_of(pid, ids)
    events = await queries.adverse_events_of(pid, ids)
    products = await queries.products_by_id({UUID(str(p.product_id)) for p in points})
    batches = await queries.batches_by_id(pid, {UUID(str(p.batch_id)) for p in points})
    practitioners = await queries.practitioners_by_id(
        {pid}, {UUID(str(r.practitioner_id)) for r in rows}
    )
    by_treatment: dict[str, list[InjectionPoint]] = {}
    for point in points:
        by_treatment.setdefault(str(point.treatment_id), []).append(point)
    events_by: dict[str, list[AdverseEvent]] = {}
    for event in events:
        events_by.setdefault(str(event.treatment_id), []).append(event)
    return [
        TreatmentView(
            r,
            by_treatment.get(str(r.id), []),
            products,
            batches,
            practitioners.get(UUID(str(r.practitioner_id))),
            events_by.get(str(r.id), []),
        )
        for r in rows
    ]


async def treatments_of(principal: Principal, *, patient_id: UUID) -> list[TreatmentView]:
    """The patient's injectable treatments, newest first (at most 500)."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ injectable_treatment"
    )
    pid = tenant_gate.practice_of(patient)
    return await _views(pid, await queries.treatments_of_patient(pid, UUID(str(patient.id))))


async def _found(
    principal: Principal, treatment_id: UUID, scope: Scope, action: str
) -> tuple[InjectableTreatment, Patient]:
    found = await queries.treatment(principal.practices_with(Scope.PATIENT_READ), treatment_id)
    if found is None:
        raise NotFound("Injectable treatment")
    try:
        patient = await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), scope, action=action
        )
    except NotFound:
        raise NotFound("Injectable treatment") from None
    return found, patient


async def treatment(principal: Principal, *, treatment_id: UUID) -> TreatmentView:
    found, _ = await _found(
        principal, treatment_id, Scope.CLINICAL_READ, "READ injectable_treatment"
    )
    return (await _views(tenant_gate.practice_of(found), [found]))[0]


async def record_adverse_event(principal: Principal, new: NewAdverseEvent) -> AdverseEvent:
    found, patient = await _found(
        principal, new.treatment_id, Scope.CLINICAL_WRITE, "RECORD adverse_event"
    )
    pid = tenant_gate.practice_of(found)
    onset = prescribing.not_future(new.onset_at, "onsetAt")
    if onset < found.treated_at:
        raise ValidationFailed("'onsetAt' is before the treatment.", field="onsetAt")
    if new.kind not in AdverseKind.__members__.values():
        raise ValidationFailed("Unknown kind.", field="kind")
    if new.severity not in Severity.__members__.values():
        raise ValidationFailed("Unknown severity.", field="severity")
    if new.batch_id is not None:
        used = {str(p.batch_id) for p in await queries.points_of(pid, [UUID(str(found.id))])}
        if str(new.batch_id) not in used:
            raise ValidationFailed("This batch was not used in that treatment.", field="batchId")
    description = v.text(new.description, "description", max_length=5000, required=True)
    action_taken = v.text(new.action_taken or "", "actionTaken", max_length=5000)
    reference = v.text(new.yellow_card_reference or "", "yellowCardReference", max_length=32)
    row = AdverseEvent(
        id=uuid4(),
        practice_id=pid,
        patient_id=found.patient_id,
        treatment_id=found.id,
        batch_id=new.batch_id,
        kind=new.kind.value,
        severity=new.severity.value,
        onset_at=onset,
        yellow_card_reference=reference or None,
        recorded_by_user_id=principal.user_id,
    )
    row.description = sealing.seal(row, "description", description)
    row.action_taken = sealing.seal(row, "action_taken", action_taken)
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _changed(
            uow,
            principal,
            patient,
            row.id,
            "RECORD adverse_event",
            "ADVERSE_EVENT_RECORDED",
            entity_type="AdverseEvent",
        )
    return row


async def resolve_adverse_event(principal: Principal, *, event_id: UUID) -> AdverseEvent:
    found = await queries.adverse_event(principal.practices_with(Scope.PATIENT_READ), event_id)
    if found is None:
        raise NotFound("Adverse event")
    try:
        patient = await patient_access.clinical_patient(
            principal,
            UUID(str(found.patient_id)),
            Scope.CLINICAL_WRITE,
            action="RESOLVE adverse_event",
        )
    except NotFound:
        raise NotFound("Adverse event") from None
    pid = tenant_gate.practice_of(found)
    async with unit_of_work() as uow:
        row = await queries.adverse_event({pid}, event_id, uow.connection)
        assert row is not None  # never deleted
        if row.resolved_at is not None:
            raise Conflict("This adverse event is already resolved.", field="adverseEventId")
        row.resolved_at = datetime.now(UTC)
        await row.save(using_db=uow.connection, update_fields=["resolved_at"])
        await _changed(
            uow,
            principal,
            patient,
            row.id,
            "RESOLVE adverse_event",
            "ADVERSE_EVENT_RESOLVED",
            entity_type="AdverseEvent",
        )
    return row


def notes_of(row: InjectableTreatment) -> str | None:
    return sealing.reveal(row, "notes")


def description_of(row: AdverseEvent) -> str | None:
    return sealing.reveal(row, "description")


def action_taken_of(row: AdverseEvent) -> str | None:
    return sealing.reveal(row, "action_taken")
