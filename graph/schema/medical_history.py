"""Medical history versions and insurance as the graph shows them.

These types are reached only through ``Patient.medicalHistory*`` (``@requires clinical:read``),
``Patient.insurance`` (``billing:read``) or the payload of a mutation whose service demanded the
matching write scope (which the policy never grants without the read scope; a test pins that).
"""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

import strawberry

from db.models import MedicalHistory as HistoryModel
from db.models import PatientInsurance as InsuranceModel
from services.patients import insurance as insurance_service
from services.patients import medical_history as history_service

AttestationEnum = strawberry.enum(
    history_service.Attestation, name="Attestation", description="How a version was attested."
)
PlanTypeEnum = strawberry.enum(
    insurance_service.PlanType, name="PlanType", description="Kind of payment arrangement."
)


@strawberry.type(description="A medicine the patient takes.")
class Medication:
    name: str = strawberry.field(description="Medicine name.")
    dose: str | None = strawberry.field(description="Dose and frequency as written.")


@strawberry.type(description="An allergy or intolerance.")
class Allergy:
    substance: str = strawberry.field(description="What the patient reacts to.")
    reaction: str | None = strawberry.field(description="What happens.")
    severity: str | None = strawberry.field(description="MILD, MODERATE, SEVERE or ANAPHYLAXIS.")


@strawberry.type(description="One immutable version of the medical history questionnaire.")
class MedicalHistory:
    id: strawberry.ID
    version: int = strawberry.field(description="1 for the first history, then +1 each time.")
    attestation: AttestationEnum = strawberry.field(  # type: ignore[valid-type]
        description="Confirmed by a clinician or signed by the patient."
    )
    attested_at: datetime = strawberry.field(description="When it was confirmed or signed.")
    attested_by_id: strawberry.ID | None = strawberry.field(
        description="The user who confirmed or signed (none for a signed paper form)."
    )
    created_at: datetime = strawberry.field(description="When it was recorded.")
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    model: strawberry.Private[HistoryModel]
    cache: strawberry.Private[dict[str, history_service.Answers]]

    @classmethod
    def from_model(cls, model: HistoryModel) -> MedicalHistory:
        return cls(
            id=strawberry.ID(str(model.id)),
            version=model.version,
            attestation=history_service.Attestation(model.attestation),
            attested_at=model.attested_at,
            attested_by_id=strawberry.ID(str(model.attested_by_user_id))
            if model.attested_by_user_id
            else None,
            created_at=model.created_at,
            practice_id=model.practice_id,  # type: ignore[arg-type]
            patient_id=model.patient_id,  # type: ignore[arg-type]
            model=model,
            cache={},
        )

    def answers(self) -> history_service.Answers:
        if "answers" not in self.cache:  # decrypt once per version, however many fields
            self.cache["answers"] = history_service.answers_of(self.model)
        return self.cache["answers"]

    @strawberry.field(description="Alerts derived from this version.")
    def alerts(self) -> list[str] | None:
        return history_service.alerts(self.answers())

    @strawberry.field(description="Medical conditions.")
    def conditions(self) -> list[str] | None:
        return list(self.answers().conditions)

    @strawberry.field(description="Current medicines.")
    def medications(self) -> list[Medication] | None:
        return [Medication(name=m.name, dose=m.dose) for m in self.answers().medications]

    @strawberry.field(description="Allergies and intolerances.")
    def allergies(self) -> list[Allergy] | None:
        return [
            Allergy(substance=a.substance, reaction=a.reaction, severity=a.severity)
            for a in self.answers().allergies
        ]

    @strawberry.field(description="NEVER, FORMER or CURRENT.")
    def smoking(self) -> str | None:
        return self.answers().smoking

    @strawberry.field(description="Alcohol units per week.")
    def alcohol_units_per_week(self) -> int | None:
        return self.answers().alcohol_units_per_week

    @strawberry.field(description="Pregnant at the time of this version.")
    def pregnant(self) -> bool | None:
        return self.answers().pregnant

    @strawberry.field(description="Takes anticoagulants.")
    def anticoagulants(self) -> bool | None:
        return self.answers().anticoagulants

    @strawberry.field(description="Takes or took bisphosphonates.")
    def bisphosphonates(self) -> bool | None:
        return self.answers().bisphosphonates

    @strawberry.field(description="Other alerts written by the clinician.")
    def other_alerts(self) -> list[str] | None:
        return list(self.answers().other_alerts)

    @strawberry.field(description="Free-text clinical notes of this version.")
    def notes(self) -> str | None:
        return self.answers().notes


@strawberry.type(description="How the patient pays: insurer, plan or payment processor token.")
class Insurance:
    id: strawberry.ID
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    model: strawberry.Private[InsuranceModel]

    @classmethod
    def from_model(cls, model: InsuranceModel) -> Insurance:
        return cls(
            id=strawberry.ID(str(model.id)),
            practice_id=model.practice_id,  # type: ignore[arg-type]
            patient_id=model.patient_id,  # type: ignore[arg-type]
            model=model,
        )

    @strawberry.field(description="Insurer or plan provider.")
    def provider(self) -> str | None:
        return self.model.provider

    @strawberry.field(description="Kind of arrangement.")
    def plan_type(self) -> PlanTypeEnum | None:  # type: ignore[valid-type]
        return insurance_service.PlanType(self.model.plan_type)

    @strawberry.field(description="Plan or scheme name.")
    def plan(self) -> str | None:
        return self.model.plan

    @strawberry.field(description="Policy or membership number.")
    def policy_number(self) -> str | None:
        return insurance_service.policy_number(self.model)

    @strawberry.field(description="Last four characters of the payment processor's token.")
    def payment_token_last4(self) -> str | None:
        return insurance_service.payment_token_last4(self.model)

    @strawberry.field(description="Cover ends on this date.")
    def valid_until(self) -> date | None:
        return self.model.valid_until
