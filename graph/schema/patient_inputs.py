"""Inputs and payloads of the patient mutations. Inputs turn into plain service values here,
so resolvers stay a few lines and services never see GraphQL types."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import strawberry

from graph.ids import IdFields
from graph.schema.medical_history import AttestationEnum, Insurance, MedicalHistory, PlanTypeEnum
from graph.schema.patients import Patient, PatientStatusEnum, SexAtBirthEnum
from services.patients import contact
from services.patients import insurance as insurance_service
from services.patients import medical_history as history_service


@strawberry.input(description="A UK postal address.")
class AddressInput(IdFields):
    line1: str = strawberry.field(description="First line; required, up to 200 characters.")
    postcode: str = strawberry.field(
        description="UK postcode; stored upper-case with one space, e.g. SW1A 1AA.",
    )
    line2: str | None = strawberry.field(
        default=None,
        description="Second line, up to 200 characters.",
    )
    town: str | None = strawberry.field(
        default=None,
        description="Town or city, up to 100 characters.",
    )
    county: str | None = strawberry.field(default=None, description="County, up to 100 characters.")

    def to_value(self) -> contact.Address:
        return contact.Address(
            line1=self.line1,
            postcode=self.postcode,
            line2=self.line2,
            town=self.town,
            county=self.county,
        )


@strawberry.input(description="Who to call in an emergency.")
class EmergencyContactInput(IdFields):
    name: str = strawberry.field(description="Full name, up to 200 characters.")
    phone: str = strawberry.field(
        description=(
            "Phone number: UK or international, 10-15 digits (+, spaces, dashes, brackets allowed)."
        ),
    )
    relationship: str | None = strawberry.field(
        default=None,
        description="Relationship to the patient, e.g. Mother; up to 60 characters.",
    )


@strawberry.input(description="The patient's GP.")
class GpDetailsInput(IdFields):
    practice_name: str = strawberry.field(description="GP surgery name, up to 200 characters.")
    doctor_name: str | None = strawberry.field(
        default=None,
        description="Named GP, up to 200 characters.",
    )
    phone: str | None = strawberry.field(
        default=None,
        description=(
            "Surgery phone number: UK or international, 10-15 digits (+, spaces, dashes, brackets "
            "allowed)."
        ),
    )
    address: AddressInput | None = strawberry.field(default=None, description="Surgery address.")


def _value(name: str, value: Any) -> Any:
    if isinstance(value, AddressInput):
        return value.to_value()
    if isinstance(value, EmergencyContactInput):
        return contact.EmergencyContact(value.name, value.phone, value.relationship)
    if isinstance(value, GpDetailsInput):
        address = value.address.to_value() if value.address else None
        return contact.GpDetails(value.practice_name, value.doctor_name, value.phone, address)
    return value


_RENAMED = {"gp": "gp_details"}


def service_values(input_: IdFields) -> dict[str, Any]:
    """Set fields only: UNSET (not sent) means keep, null means clear."""
    values: dict[str, Any] = {}
    for name, value in vars(input_).items():
        if name == "practice_id" or value is strawberry.UNSET:
            continue
        if name == "preferred_practitioner_id":
            values[name] = input_.optional_ids.preferred_practitioner_id
            continue
        values[_RENAMED.get(name, name)] = _value(name, value)
    return values


@strawberry.input(description="A new patient.")
class CreatePatientInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(
        description="Practice that registers the patient.",
    )
    first_name: str = strawberry.field(description="Given name, up to 100 characters.")
    last_name: str = strawberry.field(description="Family name, up to 100 characters.")
    date_of_birth: date = strawberry.field(
        description="Date of birth, YYYY-MM-DD; in the past and not before 1900.",
    )
    title: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Title, e.g. Mrs or Dr; up to 20 characters. Optional.",
    )
    preferred_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Name the patient likes to be called, up to 100 characters. Optional.",
    )
    sex_at_birth: SexAtBirthEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Sex registered at birth. Optional.",
    )
    gender_identity: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Gender identity in the patient's words, up to 100 characters (encrypted). Optional."
        ),
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Email address, up to 254 characters (encrypted). Optional.",
    )
    mobile_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Mobile number: UK or international, 10-15 digits (+, spaces, dashes, brackets "
            "allowed). Optional."
        ),
    )
    landline_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Landline number: UK or international, 10-15 digits (+, spaces, dashes, brackets "
            "allowed). Optional."
        ),
    )
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Home address (replaced as a whole). Optional.",
    )
    emergency_contact: EmergencyContactInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Who to call in an emergency (replaced as a whole). Optional.",
    )
    gp: GpDetailsInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The patient's GP (replaced as a whole). Optional.",
    )
    nhs_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "10-digit NHS number (spaces or dashes allowed); checksum-validated, unique in the "
            "practice. Optional."
        ),
    )
    preferred_practitioner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description="User id of a staff member of the patient's practice. Optional.",
    )
    reception_notes: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Front-desk notes, up to 2000 characters (encrypted). Optional.",
    )


@strawberry.input(description="Rectification: only the fields sent change; null clears.")
class UpdatePatientInput(IdFields):
    title: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Title, e.g. Mrs or Dr; up to 20 characters. Omit to keep; null to clear.",
    )
    first_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Given name, up to 100 characters. Omit to keep; cannot be cleared.",
    )
    last_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Family name, up to 100 characters. Omit to keep; cannot be cleared.",
    )
    preferred_name: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Name the patient likes to be called, up to 100 characters. Omit to keep; null to "
            "clear."
        ),
    )
    date_of_birth: date | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Date of birth, YYYY-MM-DD; in the past and not before 1900. Omit to keep; cannot be "
            "cleared."
        ),
    )
    sex_at_birth: SexAtBirthEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Sex registered at birth. Omit to keep; null to clear.",
    )
    gender_identity: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Gender identity in the patient's words, up to 100 characters (encrypted). Omit to "
            "keep; null to clear."
        ),
    )
    status: PatientStatusEnum | None = strawberry.field(  # type: ignore[valid-type]
        default=strawberry.UNSET,
        description="Record status (MERGED cannot be set). Omit to keep; cannot be cleared.",
    )
    email: str | None = strawberry.field(
        default=strawberry.UNSET,
        description="Email address, up to 254 characters (encrypted). Omit to keep; null to clear.",
    )
    mobile_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Mobile number: UK or international, 10-15 digits (+, spaces, dashes, brackets "
            "allowed). Omit to keep; null to clear."
        ),
    )
    landline_phone: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Landline number: UK or international, 10-15 digits (+, spaces, dashes, brackets "
            "allowed). Omit to keep; null to clear."
        ),
    )
    address: AddressInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="Home address (replaced as a whole). Omit to keep; null to clear.",
    )
    emergency_contact: EmergencyContactInput | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Who to call in an emergency (replaced as a whole). Omit to keep; null to clear."
        ),
    )
    gp: GpDetailsInput | None = strawberry.field(
        default=strawberry.UNSET,
        description="The patient's GP (replaced as a whole). Omit to keep; null to clear.",
    )
    nhs_number: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "10-digit NHS number (spaces or dashes allowed); checksum-validated, unique in the "
            "practice. Omit to keep; null to clear."
        ),
    )
    preferred_practitioner_id: strawberry.ID | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "User id of a staff member of the patient's practice. Omit to keep; null to clear."
        ),
    )
    reception_notes: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Front-desk notes, up to 2000 characters (encrypted). Omit to keep; null to clear."
        ),
    )
    clinical_notes: str | None = strawberry.field(
        default=strawberry.UNSET,
        description=(
            "Clinical notes, up to 10000 characters (encrypted); needs clinical:write. Omit to "
            "keep; null to clear."
        ),
    )


@strawberry.input(description="Fold a duplicate record into the one that stays.")
class MergePatientsInput(IdFields):
    survivor_id: strawberry.ID = strawberry.field(
        description="The record that stays and gains the duplicate's data.",
    )
    duplicate_id: strawberry.ID = strawberry.field(
        description="The record folded in; it becomes MERGED. Must differ from survivorId.",
    )


@strawberry.input(description="A medicine.")
class MedicationInput(IdFields):
    name: str = strawberry.field(description="Medicine name, up to 200 characters.")
    dose: str | None = strawberry.field(
        default=None,
        description="Dose and frequency as written, e.g. 5 mg daily; up to 100 characters.",
    )


@strawberry.input(description="An allergy.")
class AllergyInput(IdFields):
    substance: str = strawberry.field(
        description="What the patient is allergic to, up to 200 characters.",
    )
    reaction: str | None = strawberry.field(
        default=None,
        description="What happens, up to 200 characters.",
    )
    severity: str | None = strawberry.field(
        default=None,
        description="MILD, MODERATE, SEVERE or ANAPHYLAXIS.",
    )


@strawberry.input(description="A new medical history version, confirmed or signed.")
class RecordMedicalHistoryInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient the history belongs to.")
    attestation: AttestationEnum = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Confirmed by a clinician or signed by the patient (patients sign only their own)."
        ),
    )
    attested_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it was confirmed or signed, ISO 8601 with offset; not in the future. Default: "
            "now (patients cannot set it)."
        ),
    )
    conditions: list[str] = strawberry.field(
        default_factory=list,
        description="Medical conditions, each up to 200 characters; blanks dropped.",
    )
    medications: list[MedicationInput] = strawberry.field(
        default_factory=list,
        description="Current medicines.",
    )
    allergies: list[AllergyInput] = strawberry.field(
        default_factory=list,
        description="Known allergies.",
    )
    smoking: str | None = strawberry.field(
        default=None,
        description="NEVER, FORMER or CURRENT; null if not asked.",
    )
    alcohol_units_per_week: int | None = strawberry.field(
        default=None,
        description="UK alcohol units per week, 0-500; null if not asked.",
    )
    pregnant: bool | None = strawberry.field(
        default=None,
        description="Currently pregnant; null if not asked or not applicable.",
    )
    anticoagulants: bool = strawberry.field(
        default=False,
        description="Takes anticoagulants (adds a bleeding-risk alert).",
    )
    bisphosphonates: bool = strawberry.field(
        default=False,
        description="Takes bisphosphonates (adds an osteonecrosis-risk alert).",
    )
    other_alerts: list[str] = strawberry.field(
        default_factory=list,
        description="Further alerts to show staff, each up to 200 characters.",
    )
    notes: str | None = strawberry.field(
        default=None,
        description="Free-text notes, up to 5000 characters.",
    )

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
class SetPatientInsuranceInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    provider: str = strawberry.field(
        description="Insurer or plan provider name, up to 120 characters.",
    )
    plan_type: PlanTypeEnum = strawberry.field(  # type: ignore[valid-type]
        default=insurance_service.PlanType.PRIVATE_INSURANCE,
        description="Kind of arrangement; default PRIVATE_INSURANCE.",
    )
    plan: str | None = strawberry.field(
        default=None,
        description="Plan or scheme name, up to 120 characters.",
    )
    policy_number: str | None = strawberry.field(
        default=None,
        description="Membership or policy number, up to 64 characters.",
    )
    payment_token: str | None = strawberry.field(
        default=None, description="The payment processor's token. Never a card number."
    )
    valid_until: date | None = strawberry.field(
        default=None,
        description="Last day of cover, YYYY-MM-DD.",
    )

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
class LinkGuardianInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The minor.")
    guardian_id: strawberry.ID = strawberry.field(
        description="The guardian's patient record in the same practice; not the minor.",
    )
    relationship: str = strawberry.field(
        description="E.g. Mother or Legal guardian; up to 40 characters.",
    )
    parental_responsibility: bool = strawberry.field(
        default=True,
        description="Whether the guardian holds parental responsibility; default true.",
    )


@strawberry.input(description="Remove a guardian link.")
class UnlinkGuardianInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The minor.")
    guardian_id: strawberry.ID = strawberry.field(description="The guardian to unlink.")


@strawberry.type(description="The created patient.")
class CreatePatientPayload:
    patient: Patient = strawberry.field(description="The new patient record.")


@strawberry.type(description="The rectified patient and which fields changed.")
class UpdatePatientPayload:
    patient: Patient = strawberry.field(description="The patient after the change.")
    changed_fields: list[str] = strawberry.field(description="API names of changed fields.")


@strawberry.type(description="The surviving record after a merge.")
class MergePatientsPayload:
    patient: Patient = strawberry.field(description="The surviving record.")
    merged_patient_id: strawberry.ID = strawberry.field(description="The duplicate, now MERGED.")
    moved: list[str] = strawberry.field(description="Parts filled in or moved over.")


@strawberry.type(description="The new medical history version.")
class RecordMedicalHistoryPayload:
    medical_history: MedicalHistory = strawberry.field(description="The version just recorded.")
    patient: Patient = strawberry.field(
        description="The patient, with its medical-alert flag updated from this version.",
    )


@strawberry.type(description="The patient's arrangement after the change.")
class SetPatientInsurancePayload:
    insurance: Insurance = strawberry.field(description="The arrangement now on file.")
    changed_fields: list[str] = strawberry.field(description="API names of changed fields.")


@strawberry.type(description="The minor's record after the change.")
class GuardianLinkPayload:
    patient: Patient = strawberry.field(description="The minor's record after the change.")
