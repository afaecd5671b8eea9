"""Inputs and payloads of the patient mutations. Inputs turn into plain service values here,
so resolvers stay a few lines and services never see GraphQL types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from graph.ids import parse_id
from graph.schema.medical_history import AttestationEnum, Insurance, MedicalHistory, PlanTypeEnum
from graph.schema.patients import Patient, PatientStatusEnum, SexAtBirthEnum
from services.patients import contact
from services.patients import insurance as insurance_service
from services.patients import medical_history as history_service


@strawberry.input(description="A UK postal address.")
class AddressInput:
    line1: str
    postcode: str
    line2: str | None = None
    town: str | None = None
    county: str | None = None

    def to_value(self) -> contact.Address:
        return contact.Address(
            line1=self.line1,
            postcode=self.postcode,
            line2=self.line2,
            town=self.town,
            county=self.county,
        )


@strawberry.input(description="Who to call in an emergency.")
class EmergencyContactInput:
    name: str
    phone: str
    relationship: str | None = None


@strawberry.input(description="The patient's GP.")
class GpDetailsInput:
    practice_name: str
    doctor_name: str | None = None
    phone: str | None = None
    address: AddressInput | None = None


def _value(name: str, value: Any) -> Any:
    if isinstance(value, AddressInput):
        return value.to_value()
    if isinstance(value, EmergencyContactInput):
        return contact.EmergencyContact(value.name, value.phone, value.relationship)
    if isinstance(value, GpDetailsInput):
        address = value.address.to_value() if value.address else None
        return contact.GpDetails(value.practice_name, value.doctor_name, value.phone, address)
    if name == "preferred_practitioner_id" and value is not None:
        return parse_id(value, "preferredPractitionerId")
    return value


_RENAMED = {"gp": "gp_details"}


def service_values(input_: object) -> dict[str, Any]:
    """Set fields only: UNSET (not sent) means keep, null means clear."""
    values: dict[str, Any] = {}
    for name, value in vars(input_).items():
        if name == "practice_id" or value is strawberry.UNSET:
            continue
        values[_RENAMED.get(name, name)] = _value(name, value)
    return values


@strawberry.input(description="A new patient.")
class CreatePatientInput:
    practice_id: strawberry.ID
    first_name: str
    last_name: str
    date_of_birth: date
    title: str | None = strawberry.UNSET
    preferred_name: str | None = strawberry.UNSET
    sex_at_birth: SexAtBirthEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    gender_identity: str | None = strawberry.UNSET
    email: str | None = strawberry.UNSET
    mobile_phone: str | None = strawberry.UNSET
    landline_phone: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    emergency_contact: EmergencyContactInput | None = strawberry.UNSET
    gp: GpDetailsInput | None = strawberry.UNSET
    nhs_number: str | None = strawberry.UNSET
    preferred_practitioner_id: strawberry.ID | None = strawberry.UNSET
    reception_notes: str | None = strawberry.UNSET


@strawberry.input(description="Rectification: only the fields sent change; null clears.")
class UpdatePatientInput:
    title: str | None = strawberry.UNSET
    first_name: str | None = strawberry.UNSET
    last_name: str | None = strawberry.UNSET
    preferred_name: str | None = strawberry.UNSET
    date_of_birth: date | None = strawberry.UNSET
    sex_at_birth: SexAtBirthEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    gender_identity: str | None = strawberry.UNSET
    status: PatientStatusEnum | None = strawberry.UNSET  # type: ignore[valid-type]
    email: str | None = strawberry.UNSET
    mobile_phone: str | None = strawberry.UNSET
    landline_phone: str | None = strawberry.UNSET
    address: AddressInput | None = strawberry.UNSET
    emergency_contact: EmergencyContactInput | None = strawberry.UNSET
    gp: GpDetailsInput | None = strawberry.UNSET
    nhs_number: str | None = strawberry.UNSET
    preferred_practitioner_id: strawberry.ID | None = strawberry.UNSET
    reception_notes: str | None = strawberry.UNSET
    clinical_notes: str | None = strawberry.UNSET


@strawberry.input(description="Fold a duplicate record into the one that stays.")
class MergePatientsInput:
    survivor_id: strawberry.ID
    duplicate_id: strawberry.ID


@strawberry.input(description="A medicine.")
class MedicationInput:
    name: str
    dose: str | None = None


@strawberry.input(description="An allergy.")
class AllergyInput:
    substance: str
    reaction: str | None = None
    severity: str | None = None


@strawberry.input(description="A new medical history version, confirmed or signed.")
class RecordMedicalHistoryInput:
    patient_id: strawberry.ID
    attestation: AttestationEnum  # type: ignore[valid-type]
    attested_at: datetime | None = None
    conditions: list[str] = strawberry.field(default_factory=list)
    medications: list[MedicationInput] = strawberry.field(default_factory=list)
    allergies: list[AllergyInput] = strawberry.field(default_factory=list)
    smoking: str | None = None
    alcohol_units_per_week: int | None = None
    pregnant: bool | None = None
    anticoagulants: bool = False
    bisphosphonates: bool = False
    other_alerts: list[str] = strawberry.field(default_factory=list)
    notes: str | None = None

    def answers(self) -> history_service.Answers:
        return history_service.Answers(
            conditions=list(self.conditions),
            medications=[history_service.Medication(m.name, m.dose) for m in self.medications],
            allergies=[
                history_service.Allergy(a.substance, a.reaction, a.severity) for a in self.allergies
            ],
            smoking=self.smoking,
            alcohol_units_per_week=self.alcohol_units_per_week,
            pregnant=self.pregnant,
            anticoagulants=self.anticoagulants,
            bisphosphonates=self.bisphosphonates,
            other_alerts=list(self.other_alerts),
            notes=self.notes,
        )


@strawberry.input(description="Set or replace the patient's insurance or payment arrangement.")
class SetPatientInsuranceInput:
    patient_id: strawberry.ID
    provider: str
    plan_type: PlanTypeEnum = insurance_service.PlanType.PRIVATE_INSURANCE  # type: ignore[valid-type]
    plan: str | None = None
    policy_number: str | None = None
    payment_token: str | None = strawberry.field(
        default=None, description="The payment processor's token. Never a card number."
    )
    valid_until: date | None = None

    def details(self) -> insurance_service.InsuranceDetails:
        return insurance_service.InsuranceDetails(
            provider=self.provider,
            plan_type=insurance_service.PlanType(self.plan_type),
            plan=self.plan,
            policy_number=self.policy_number,
            payment_token=self.payment_token,
            valid_until=self.valid_until,
        )


@strawberry.input(description="Link a guardian (a patient of the practice) to a minor.")
class LinkGuardianInput:
    patient_id: strawberry.ID
    guardian_id: strawberry.ID
    relationship: str
    parental_responsibility: bool = True


@strawberry.input(description="Remove a guardian link.")
class UnlinkGuardianInput:
    patient_id: strawberry.ID
    guardian_id: strawberry.ID


@strawberry.type(description="The created patient.")
class CreatePatientPayload:
    patient: Patient


@strawberry.type(description="The rectified patient and which fields changed.")
class UpdatePatientPayload:
    patient: Patient
    changed_fields: list[str] = strawberry.field(description="API names of changed fields.")


@strawberry.type(description="The surviving record after a merge.")
class MergePatientsPayload:
    patient: Patient
    merged_patient_id: strawberry.ID = strawberry.field(description="The duplicate, now MERGED.")
    moved: list[str] = strawberry.field(description="Parts filled in or moved over.")


@strawberry.type(description="The new medical history version.")
class RecordMedicalHistoryPayload:
    medical_history: MedicalHistory
    patient: Patient


@strawberry.type(description="The patient's arrangement after the change.")
class SetPatientInsurancePayload:
    insurance: Insurance
    changed_fields: list[str] = strawberry.field(description="API names of changed fields.")


@strawberry.type(description="The minor's record after the change.")
class GuardianLinkPayload:
    patient: Patient
