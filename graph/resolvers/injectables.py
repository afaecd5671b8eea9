"""Injectable treatments, face maps, prescriber sign-off and batch recall: parse ids, call one
service, map back. Every treatment, consultation, prescription and recall returned is put in
the request's read trail by ``AuditReads``."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.injectables import (
    AdverseEvent,
    AdverseEventPayload,
    AestheticConsultation,
    BatchRecall,
    CancelPrescriptionInput,
    FaceMapTemplate,
    InjectableTreatment,
    IssuePrescriptionInput,
    Prescription,
    PrescriptionPayload,
    RecordAdverseEventInput,
    RecordConsultationInput,
    RecordConsultationPayload,
    RecordInjectableTreatmentInput,
    RecordInjectableTreatmentPayload,
    ResolveAdverseEventInput,
)
from services.aesthetics import face_maps, prescribing, recall, treatments
from services.policy import Scope


@strawberry.type
class InjectableQueries:
    @strawberry.field(
        description="Face and body map templates, every version (no patient data; any "
        "signed-in staff member with practice:read)."
    )
    def face_map_templates(self) -> list[FaceMapTemplate]:
        return [FaceMapTemplate.from_template(t) for t in face_maps.templates()]

    @strawberry.field(
        description="One injectable treatment with its points, totals and adverse events "
        "(clinical:read in the patient's practice). Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def injectable_treatment(
        self, info: Info, id: strawberry.ID
    ) -> InjectableTreatment | None:
        found = await treatments.treatment(info.context.principal, treatment_id=id_argument(id=id))
        return InjectableTreatment.from_view(found)

    @strawberry.field(
        description="A patient's prescriptions for prescription-only products, newest first, "
        "cancelled and lapsed ones too (clinical:read in the patient's practice). Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def aesthetic_prescriptions(
        self, info: Info, patient_id: strawberry.ID
    ) -> list[Prescription] | None:
        found = await prescribing.prescriptions_of(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return [Prescription.from_view(v) for v in found]

    @strawberry.field(
        description="A patient's consultations with prescribers, newest first (clinical:read "
        "in the patient's practice). Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def aesthetic_consultations(
        self, info: Info, patient_id: strawberry.ID
    ) -> list[AestheticConsultation] | None:
        found = await prescribing.consultations_of(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return [AestheticConsultation.from_view(v) for v in found]

    @strawberry.field(
        description="Every visit in which the batch was given: patient, practice, date, "
        "amount and whether a safety notice (a service message) may be sent, also as CSV. "
        "Needs clinical:read in the batch's practice; each patient row passes the visibility "
        "policy. One audited read naming the batch and every patient shown. Unknown batch: "
        "NOT_FOUND.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def patients_treated_with_batch(
        self,
        info: Info,
        batch_id: Annotated[
            strawberry.ID, strawberry.argument(description="A batch of one of your practices.")
        ],
    ) -> BatchRecall | None:
        found = await recall.by_batch(
            info.context.principal, batch_id=id_argument(batch_id=batch_id)
        )
        return BatchRecall.from_recall(found)

    @strawberry.field(
        description="A manufacturer's lot recall across the organisation's practices: every "
        "visit in which any batch of that lot was given, with the same rows and CSV as "
        "`patientsTreatedWithBatch`. Needs patient:read and stock:read (not clinical:read) in "
        "the practices searched: an ORG_ADMIN holds both in every practice of their "
        "organisation, so a safety recall works for them without opening clinical notes; "
        "others search only the practices where they hold both. Each patient row passes the "
        "visibility policy; one audited read names the lot and every patient shown. A lot no "
        "practice searched holds: NOT_FOUND.",
        extensions=[*requires(Scope.PATIENT_READ, Scope.STOCK_READ), AuditReads()],
    )
    async def patients_treated_with_lot(
        self,
        info: Info,
        organization_id: Annotated[
            strawberry.ID, strawberry.argument(description="Your organisation.")
        ],
        lot_number: Annotated[
            str,
            strawberry.argument(
                description="The manufacturer's lot number, exactly as printed (1-64 characters)."
            ),
        ],
    ) -> BatchRecall | None:
        found = await recall.by_lot(
            info.context.principal,
            organization_id=id_argument(organization_id=organization_id),
            lot_number=lot_number,
        )
        return BatchRecall.from_recall(found)


@strawberry.type
class InjectableMutations:
    @strawberry.mutation(
        description="Record a visit's injectable treatment (clinical:write): the treatment, "
        "its points and one USED stock movement per point commit together or not at all. A "
        "prescription-only product needs `prescriptionId` naming a live prescription for this "
        "patient and product whose dose range holds the visit's total (CONFLICT otherwise)."
    )
    async def record_injectable_treatment(
        self, info: Info, input: RecordInjectableTreatmentInput
    ) -> RecordInjectableTreatmentPayload | None:
        points = [
            treatments.NewPoint(
                product_id=p.ids.product_id,
                batch_id=p.ids.batch_id,
                amount=p.amount,
                depth=p.depth,
                technique=p.technique,
                map_key=p.map_key,
                map_version=p.map_version,
                zone=p.zone,
                x=p.x,
                y=p.y,
            )
            for p in input.points
        ]
        found = await treatments.record(
            info.context.principal,
            treatments.NewTreatment(
                patient_id=input.ids.patient_id,
                practitioner_id=input.ids.practitioner_id,
                treated_at=input.treated_at,
                points=points,
                notes=input.notes,
                appointment_id=input.optional_ids.appointment_id,
                consent_form_id=input.optional_ids.consent_form_id,
                prescription_id=input.optional_ids.prescription_id,
            ),
        )
        return RecordInjectableTreatmentPayload(treatment=InjectableTreatment.from_view(found))

    @strawberry.mutation(
        description="Record a prescriber's consultation (clinical:write); the prescriber "
        "must hold a prescribing registration in force that day (CONFLICT otherwise)."
    )
    async def record_consultation(
        self, info: Info, input: RecordConsultationInput
    ) -> RecordConsultationPayload | None:
        found = await prescribing.record_consultation(
            info.context.principal,
            prescribing.NewConsultation(
                patient_id=input.ids.patient_id,
                prescriber_id=input.ids.prescriber_id,
                held_at=input.held_at,
                face_to_face=input.face_to_face,
                notes=input.notes,
                appointment_id=input.optional_ids.appointment_id,
            ),
        )
        return RecordConsultationPayload(consultation=AestheticConsultation.from_view(found))

    @strawberry.mutation(
        description="Issue a prescription from your own face-to-face consultation "
        "(clinical:write; only the consultation's prescriber, with a registration in force)."
    )
    async def issue_prescription(
        self, info: Info, input: IssuePrescriptionInput
    ) -> PrescriptionPayload | None:
        found = await prescribing.issue(
            info.context.principal,
            prescribing.NewPrescription(
                consultation_id=input.ids.consultation_id,
                product_id=input.ids.product_id,
                dose_min=input.dose_min,
                dose_max=input.dose_max,
                valid_until=input.valid_until,
                directions=input.directions,
            ),
        )
        return PrescriptionPayload(prescription=Prescription.from_view(found))

    @strawberry.mutation(description="Cancel a prescription (clinical:write); no further use.")
    async def cancel_prescription(
        self, info: Info, input: CancelPrescriptionInput
    ) -> PrescriptionPayload | None:
        found = await prescribing.cancel(
            info.context.principal, prescription_id=input.ids.prescription_id
        )
        return PrescriptionPayload(prescription=Prescription.from_view(found))

    @strawberry.mutation(description="Record a complication after a treatment (clinical:write).")
    async def record_adverse_event(
        self, info: Info, input: RecordAdverseEventInput
    ) -> AdverseEventPayload | None:
        row = await treatments.record_adverse_event(
            info.context.principal,
            treatments.NewAdverseEvent(
                treatment_id=input.ids.treatment_id,
                kind=input.kind,
                severity=input.severity,
                onset_at=input.onset_at,
                description=input.description,
                action_taken=input.action_taken,
                batch_id=input.optional_ids.batch_id,
                yellow_card_reference=input.yellow_card_reference,
            ),
        )
        return AdverseEventPayload(adverse_event=AdverseEvent.from_model(row))

    @strawberry.mutation(description="Mark an adverse event resolved (clinical:write).")
    async def resolve_adverse_event(
        self, info: Info, input: ResolveAdverseEventInput
    ) -> AdverseEventPayload | None:
        row = await treatments.resolve_adverse_event(
            info.context.principal, event_id=input.ids.adverse_event_id
        )
        return AdverseEventPayload(adverse_event=AdverseEvent.from_model(row))
