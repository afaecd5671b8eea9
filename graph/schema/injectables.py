"""Injectable treatments, face maps, prescriber sign-off and batch recall as the graph shows them.

Amounts are exact decimals (``Decimal``, printed as a string: ``"2.5"``) in the product's
``unit`` (``UNITS`` or ``ML``), stored as integer thousandths; never floats. Map coordinates are
fractions of the map image (0-1). ``InjectableTreatment``, ``AestheticConsultation``,
``Prescription`` and ``BatchRecall`` are reached only through fields that demand their scopes
(``@requires``) and whose services check the patient's practice and ``services.visibility``
again; each returned object is one audited read (a recall: one row naming every patient shown).
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from uuid import UUID

import strawberry

from db.models import AdverseEvent as AdverseEventModel
from db.models import InjectionPoint as PointModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.nodes import Node
from services.aesthetics import face_maps, prescribing, recall, treatments
from services.aesthetics.doses import from_milli
from services.patients import sealing

InjectionDepth = strawberry.enum(treatments.Depth, description="How deep a point was placed.")
InjectionTechnique = strawberry.enum(treatments.Technique, description="How it was injected.")
AdverseEventKind = strawberry.enum(treatments.AdverseKind, description="The kind of complication.")
AdverseEventSeverity = strawberry.enum(treatments.Severity, description="How severe it is.")


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _opt(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="A named zone of a face or body map template.")
class FaceMapZone:
    code: str = strawberry.field(description="The zone code points name, e.g. GLABELLA.")
    label: str = strawberry.field(description="The zone's name for people.")


@strawberry.type(
    description="A versioned face or body map: points name its key, version and a zone, with "
    "x/y as fractions (0-1) of the image's width and height from the top left."
)
class FaceMapTemplate:
    key: str = strawberry.field(description="FACE_FRONT, FACE_LEFT, FACE_RIGHT, BODY_FRONT, ...")
    version: int = strawberry.field(description="Its version; a change is a new version.")
    label: str = strawberry.field(description="The map's name for people.")
    zones: list[FaceMapZone] = strawberry.field(description="Its zones, in display order.")

    @classmethod
    def from_template(cls, t: face_maps.MapTemplate) -> FaceMapTemplate:
        return cls(
            key=t.key,
            version=t.version,
            label=t.label,
            zones=[FaceMapZone(code=z.code, label=z.label) for z in t.zones],
        )


@strawberry.type(description="One injection: what, from which batch, how much, where.")
class InjectionPoint:
    id: strawberry.ID
    position: int = strawberry.field(description="Order within the visit (0 first).")
    product_id: strawberry.ID = strawberry.field(description="The product.")
    product_name: str = strawberry.field(description="The product's name.")
    batch_id: strawberry.ID = strawberry.field(description="The batch used.")
    lot_number: str = strawberry.field(description="The batch's lot number.")
    amount: Decimal = strawberry.field(description="Amount given, exact, in `unit`.")
    unit: str = strawberry.field(description="UNITS or ML.")
    depth: InjectionDepth = strawberry.field(description="Depth.")  # type: ignore[valid-type]
    technique: InjectionTechnique = strawberry.field(description="Technique.")  # type: ignore[valid-type]
    map_key: str = strawberry.field(description="The map template's key.")
    map_version: int = strawberry.field(description="The map template's version.")
    zone: str = strawberry.field(description="A zone code of that template version.")
    x: float = strawberry.field(description="Across the map image, 0 (left) to 1 (right).")
    y: float = strawberry.field(description="Down the map image, 0 (top) to 1 (bottom).")

    @classmethod
    def from_model(cls, p: PointModel, view: treatments.TreatmentView) -> InjectionPoint:
        product = view.products.get(UUID(str(p.product_id)))
        batch = view.batches.get(UUID(str(p.batch_id)))
        return cls(
            id=_id(p.id),
            position=p.position,
            product_id=_id(p.product_id),
            product_name=product.name if product else "",
            batch_id=_id(p.batch_id),
            lot_number=batch.lot_number if batch else "",
            amount=from_milli(p.amount_milli),
            unit=product.unit if product else "",
            depth=treatments.Depth(p.depth),
            technique=treatments.Technique(p.technique),
            map_key=p.map_key,
            map_version=p.map_version,
            zone=p.zone,
            x=p.x,
            y=p.y,
        )


@strawberry.type(description="The total of one product given in one visit.")
class ProductTotal:
    product_id: strawberry.ID = strawberry.field(description="The product.")
    product_name: str = strawberry.field(description="The product's name.")
    amount: Decimal = strawberry.field(description="Total given in the visit, exact.")
    unit: str = strawberry.field(description="UNITS or ML.")


@strawberry.type(description="A complication after an injectable treatment.")
class AdverseEvent:
    id: strawberry.ID
    treatment_id: strawberry.ID = strawberry.field(description="The treatment.")
    batch_id: strawberry.ID | None = strawberry.field(description="The batch suspected.")
    kind: AdverseEventKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    severity: AdverseEventSeverity = strawberry.field(description="How severe.")  # type: ignore[valid-type]
    onset_at: datetime = strawberry.field(description="When it began.")
    description: str | None = strawberry.field(description="What was seen.")
    action_taken: str | None = strawberry.field(description="What was done about it.")
    yellow_card_reference: str | None = strawberry.field(
        description="The MHRA Yellow Card report reference, when reported."
    )
    resolved_at: datetime | None = strawberry.field(description="When it was resolved.")
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("AdverseEvent", self.id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_model(cls, row: AdverseEventModel) -> AdverseEvent:
        return cls(
            id=_id(row.id),
            treatment_id=_id(row.treatment_id),
            batch_id=_opt(row.batch_id),
            kind=treatments.AdverseKind(row.kind),
            severity=treatments.Severity(row.severity),
            onset_at=row.onset_at,
            description=treatments.description_of(row),
            action_taken=treatments.action_taken_of(row),
            yellow_card_reference=row.yellow_card_reference,
            resolved_at=row.resolved_at,
            recorded_at=row.created_at,
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.type(description="One visit's injectable treatment of a patient.")
class InjectableTreatment(Node):
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    practitioner_id: strawberry.ID = strawberry.field(description="Who injected.")
    practitioner_name: str | None = strawberry.field(description="Their display name.")
    appointment_id: strawberry.ID | None = strawberry.field(description="The appointment.")
    prescription_id: strawberry.ID | None = strawberry.field(
        description="The prescription a prescription-only product was given under."
    )
    consent_form_id: strawberry.ID | None = strawberry.field(description="The signed form.")
    treated_at: datetime = strawberry.field(description="When.")
    notes: str | None = strawberry.field(description="Clinical notes.")
    points: list[InjectionPoint] = strawberry.field(description="Injection points, in order.")
    totals: list[ProductTotal] = strawberry.field(description="Total per product this visit.")
    adverse_events: list[AdverseEvent] = strawberry.field(description="Complications recorded.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("InjectableTreatment", self.id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: treatments.TreatmentView) -> InjectableTreatment:
        row = view.treatment
        totals = []
        for product_id, milli in view.totals().items():
            product = view.products.get(product_id)
            totals.append(
                ProductTotal(
                    product_id=_id(product_id),
                    product_name=product.name if product else "",
                    amount=from_milli(milli),
                    unit=product.unit if product else "",
                )
            )
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            practitioner_id=_id(row.practitioner_id),
            practitioner_name=view.practitioner.display_name if view.practitioner else None,
            appointment_id=_opt(row.appointment_id),
            prescription_id=_opt(row.prescription_id),
            consent_form_id=_opt(row.consent_form_id),
            treated_at=row.treated_at,
            notes=treatments.notes_of(row),
            points=[InjectionPoint.from_model(p, view) for p in view.points],
            totals=totals,
            adverse_events=[AdverseEvent.from_model(e) for e in view.adverse_events],
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.type(description="A prescriber's consultation with a patient.")
class AestheticConsultation:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    prescriber_id: strawberry.ID = strawberry.field(description="The prescriber.")
    prescriber_name: str = strawberry.field(description="The prescriber's display name.")
    held_at: datetime = strawberry.field(description="When it was held.")
    face_to_face: bool = strawberry.field(description="In person (only these allow prescribing).")
    notes: str | None = strawberry.field(description="Consultation notes.")
    appointment_id: strawberry.ID | None = strawberry.field(description="The appointment.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("AestheticConsultation", self.id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: prescribing.ConsultationView) -> AestheticConsultation:
        row = view.consultation
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            prescriber_id=_id(row.prescriber_id),
            prescriber_name=view.prescriber.display_name,
            held_at=row.held_at,
            face_to_face=row.face_to_face,
            notes=sealing.reveal(row, "notes"),
            appointment_id=_opt(row.appointment_id),
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.type(description="A prescription naming a patient, a product and a dose range.")
class Prescription:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    prescriber_id: strawberry.ID = strawberry.field(description="The prescriber.")
    prescriber_name: str = strawberry.field(description="The prescriber's display name.")
    consultation_id: strawberry.ID = strawberry.field(description="The face-to-face consultation.")
    product_id: strawberry.ID = strawberry.field(description="The product.")
    product_name: str = strawberry.field(description="The product's name.")
    unit: str = strawberry.field(description="UNITS or ML.")
    dose_min: Decimal = strawberry.field(description="Least total per visit, exact.")
    dose_max: Decimal = strawberry.field(description="Most total per visit, exact.")
    directions: str | None = strawberry.field(description="The prescriber's directions.")
    issued_at: datetime = strawberry.field(description="When it was issued.")
    valid_until: datetime = strawberry.field(description="Usable until then.")
    cancelled_at: datetime | None = strawberry.field(description="When it was cancelled.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("Prescription", self.id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: prescribing.PrescriptionView) -> Prescription:
        row = view.prescription
        return cls(
            id=_id(row.id),
            patient_id=_id(row.patient_id),
            prescriber_id=_id(row.prescriber_id),
            prescriber_name=view.prescriber.display_name,
            consultation_id=_id(row.consultation_id),
            product_id=_id(row.product_id),
            product_name=view.product.name,
            unit=view.product.unit,
            dose_min=from_milli(row.dose_min_milli),
            dose_max=from_milli(row.dose_max_milli),
            directions=sealing.reveal(row, "directions"),
            issued_at=row.issued_at,
            valid_until=row.valid_until,
            cancelled_at=row.cancelled_at,
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.type(description="One visit in which a recalled batch was given to a patient.")
class RecalledPatient:
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    patient_name: str = strawberry.field(description="First and last name.")
    patient_number: int = strawberry.field(description="Number within their practice.")
    practice_id: strawberry.ID = strawberry.field(description="Their practice.")
    practice_name: str = strawberry.field(description="Their practice's name.")
    treatment_id: strawberry.ID = strawberry.field(description="The visit.")
    treated_at: datetime = strawberry.field(description="When.")
    product_name: str = strawberry.field(description="The product.")
    batch_id: strawberry.ID = strawberry.field(description="The batch.")
    lot_number: str = strawberry.field(description="The lot number.")
    amount: Decimal = strawberry.field(description="Amount of this batch given, exact.")
    unit: str = strawberry.field(description="UNITS or ML.")
    may_contact_for_safety_notice: bool = strawberry.field(
        description="A safety notice is a service message, not marketing: true when at least "
        "one channel has contact details the patient accepts and they take service messages "
        "(a marketing objection or restriction does not stop it)."
    )

    @classmethod
    def from_item(cls, item: recall.RecalledPatient) -> RecalledPatient:
        r = item.row
        assert r.patient_id is not None
        assert r.treated_at is not None
        return cls(
            patient_id=_id(r.patient_id),
            patient_name=f"{r.first_name or ''} {r.last_name or ''}".strip(),
            patient_number=r.patient_number or 0,
            practice_id=_id(r.practice_id),
            practice_name=r.practice_name,
            treatment_id=_id(r.treatment_id),
            treated_at=r.treated_at,
            product_name=r.product_name,
            batch_id=_id(r.batch_id),
            lot_number=r.lot_number,
            amount=from_milli(r.amount_milli or 0),
            unit=r.unit,
            may_contact_for_safety_notice=item.may_contact,
        )


@strawberry.type(description="Every patient who received a batch or lot (a safety recall).")
class BatchRecall:
    subject: str = strawberry.field(description="The batch id, or `organisation:lot`.")
    lot_number: str = strawberry.field(description="The lot number recalled.")
    rows: list[RecalledPatient] = strawberry.field(
        description="One row per visit and batch, oldest first."
    )
    practice_uuid: strawberry.Private[UUID | None]
    patient_uuids: strawberry.Private[tuple[UUID, ...]]
    found: strawberry.Private[recall.Recall]

    def read_record(self) -> ReadRecord:
        return ReadRecord("BatchRecall", self.subject, None, self.practice_uuid, self.patient_uuids)

    @strawberry.field(description="The same rows as CSV (RFC 4180, header first).")
    def csv(self) -> str:
        return self.found.csv()

    @classmethod
    def from_recall(cls, found: recall.Recall) -> BatchRecall:
        return cls(
            subject=found.subject,
            lot_number=found.lot_number,
            rows=[RecalledPatient.from_item(i) for i in found.rows],
            practice_uuid=found.practice_id,
            patient_uuids=tuple(found.patient_ids()),
            found=found,
        )


@strawberry.input(description="One injection point of a treatment.")
class InjectionPointInput(IdFields):
    product_id: strawberry.ID = strawberry.field(description="The product.")
    batch_id: strawberry.ID = strawberry.field(description="A batch of this practice.")
    amount: Decimal = strawberry.field(description="Amount in the product's unit (max 3 dp).")
    depth: InjectionDepth = strawberry.field(description="Depth.")  # type: ignore[valid-type]
    technique: InjectionTechnique = strawberry.field(description="Technique.")  # type: ignore[valid-type]
    map_key: str = strawberry.field(description="Map template key, e.g. FACE_FRONT.")
    map_version: int = strawberry.field(description="Map template version.")
    zone: str = strawberry.field(description="A zone code of that template version.")
    x: float = strawberry.field(description="0 (left) to 1 (right) across the image.")
    y: float = strawberry.field(description="0 (top) to 1 (bottom) down the image.")


@strawberry.input(description="A visit's injectable treatment.")
class RecordInjectableTreatmentInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    practitioner_id: strawberry.ID = strawberry.field(description="Who injected.")
    treated_at: datetime = strawberry.field(description="When, with offset.")
    points: list[InjectionPointInput] = strawberry.field(description="1-200 points.")
    appointment_id: strawberry.ID | None = strawberry.field(default=None, description="Visit.")
    notes: str | None = strawberry.field(default=None, description="Clinical notes.")
    consent_form_id: strawberry.ID | None = strawberry.field(
        default=None, description="The patient's signed consent form."
    )
    prescription_id: strawberry.ID | None = strawberry.field(
        default=None, description="Needed when a prescription-only product is given."
    )


@strawberry.input(description="A prescriber's consultation with a patient.")
class RecordConsultationInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    prescriber_id: strawberry.ID = strawberry.field(description="The prescribing practitioner.")
    held_at: datetime = strawberry.field(description="When, with offset (not in the future).")
    face_to_face: bool = strawberry.field(description="Held in person.")
    notes: str | None = strawberry.field(default=None, description="Notes.")
    appointment_id: strawberry.ID | None = strawberry.field(default=None, description="Visit.")


@strawberry.input(description="A prescription from a face-to-face consultation.")
class IssuePrescriptionInput(IdFields):
    consultation_id: strawberry.ID = strawberry.field(description="Your consultation.")
    product_id: strawberry.ID = strawberry.field(description="The product.")
    dose_min: Decimal = strawberry.field(description="Least total per visit.")
    dose_max: Decimal = strawberry.field(description="Most total per visit.")
    valid_until: datetime = strawberry.field(description="Usable until (within a year).")
    directions: str | None = strawberry.field(default=None, description="Directions.")


@strawberry.input(description="A prescription to cancel.")
class CancelPrescriptionInput(IdFields):
    prescription_id: strawberry.ID = strawberry.field(description="The prescription.")


@strawberry.input(description="A complication after a treatment.")
class RecordAdverseEventInput(IdFields):
    treatment_id: strawberry.ID = strawberry.field(description="The treatment.")
    kind: AdverseEventKind = strawberry.field(description="What happened.")  # type: ignore[valid-type]
    severity: AdverseEventSeverity = strawberry.field(description="How severe.")  # type: ignore[valid-type]
    onset_at: datetime = strawberry.field(description="When it began.")
    description: str = strawberry.field(description="What was seen.")
    action_taken: str | None = strawberry.field(default=None, description="What was done.")
    batch_id: strawberry.ID | None = strawberry.field(
        default=None, description="The batch suspected (one used in the treatment)."
    )
    yellow_card_reference: str | None = strawberry.field(
        default=None, description="The Yellow Card report reference."
    )


@strawberry.input(description="An adverse event now resolved.")
class ResolveAdverseEventInput(IdFields):
    adverse_event_id: strawberry.ID = strawberry.field(description="The adverse event.")


@strawberry.type(description="The treatment recorded.")
class RecordInjectableTreatmentPayload:
    treatment: InjectableTreatment | None = strawberry.field(description="The treatment.")


@strawberry.type(description="The consultation recorded.")
class RecordConsultationPayload:
    consultation: AestheticConsultation | None = strawberry.field(description="It.")


@strawberry.type(description="The prescription after the change.")
class PrescriptionPayload:
    prescription: Prescription | None = strawberry.field(description="The prescription.")


@strawberry.type(description="The adverse event after the change.")
class AdverseEventPayload:
    adverse_event: AdverseEvent | None = strawberry.field(description="The adverse event.")
