"""The patient record as the graph shows it.

Plain fields (names, date of birth, number, status) come with the record; everything else is
decrypted per field only when selected and permitted, so a receptionist's list never decrypts
clinical data. Relations go through per-request loaders.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry

from db.models import Patient as PatientModel
from db.models import PatientStatus
from graph.audit_extension import AuditReads, ReadRecord
from graph.context import Info
from graph.patient_loaders import patient_loaders
from graph.permissions.fields import requires
from graph.schema.audit import AuditEvent, cursor_of
from graph.schema.billing_fees import PatientMembership
from graph.schema.injectables import InjectableTreatment
from graph.schema.medical_history import Insurance, MedicalHistory
from graph.schema.nodes import Node
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.payments import PatientAccount
from graph.schema.photo_series import PhotoSeries
from services import audit, visibility
from services.aesthetics import photo_series as photo_series_service
from services.aesthetics import treatments as injectables
from services.billing import memberships as membership_service
from services.billing import statements
from services.patients import contact, sealing
from services.patients import medical_history as history_service
from services.patients.fields import SexAtBirth
from services.patients.validation import format_nhs_number
from services.policy import Scope

PatientStatusEnum = strawberry.enum(PatientStatus, name="PatientStatus", description="Status.")
SexAtBirthEnum = strawberry.enum(SexAtBirth, name="SexAtBirth", description="Sex at birth.")
CONTACT = requires(Scope.PATIENT_READ)
CLINICAL = requires(Scope.CLINICAL_READ)
BILLING = requires(Scope.BILLING_READ)


@strawberry.type(description="A UK postal address.")
class Address:
    line1: str = strawberry.field(description="First line.")
    line2: str | None = strawberry.field(description="Second line.")
    town: str | None = strawberry.field(description="Post town.")
    county: str | None = strawberry.field(description="County.")
    postcode: str = strawberry.field(description="Validated UK postcode, e.g. SW1A 1AA.")

    @classmethod
    def from_value(cls, value: contact.Address | None) -> Address | None:
        if value is None:
            return None
        return cls(
            line1=value.line1,
            line2=value.line2,
            town=value.town,
            county=value.county,
            postcode=value.postcode,
        )


@strawberry.type(description="Who to call in an emergency.")
class EmergencyContact:
    name: str = strawberry.field(description="Full name.")
    phone: str = strawberry.field(description="Phone number.")
    relationship: str | None = strawberry.field(description="Relationship to the patient.")


@strawberry.type(description="The patient's general practitioner.")
class GpDetails:
    practice_name: str = strawberry.field(description="GP surgery name.")
    doctor_name: str | None = strawberry.field(description="Named GP.")
    phone: str | None = strawberry.field(description="Surgery phone.")
    address: Address | None = strawberry.field(description="Surgery address.")


@strawberry.type(description="A member of the practice's staff.")
class StaffMember:
    id: strawberry.ID
    full_name: str = strawberry.field(description="Display name.")


@strawberry.type(description="A person with parental responsibility for a minor patient.")
class GuardianLink:
    guardian_id: strawberry.ID = strawberry.field(description="The guardian's patient id.")
    relationship: str = strawberry.field(description="E.g. mother, father, carer.")
    parental_responsibility: bool = strawberry.field(description="Holds parental responsibility.")
    guardian_name: str | None = strawberry.field(description="The guardian's name.")


@strawberry.type(description="A patient of a practice.")
class Patient(Node):
    id: strawberry.ID
    practice: strawberry.ID = strawberry.field(name="practiceId", description="Owning practice.")
    patient_number: int = strawberry.field(description="Number within the practice.")
    title: str | None = strawberry.field(description="Mr, Ms, Dr, Mx, ...")
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    preferred_name: str | None = strawberry.field(description="Name the patient likes to use.")
    date_of_birth: date = strawberry.field(description="Date of birth.")
    status: PatientStatusEnum = strawberry.field(description="Record status.")  # type: ignore[valid-type]
    last_activity_at: datetime = strawberry.field(description="Last change or visit (retention).")
    created_at: datetime = strawberry.field(description="When the record was created.")
    merged_into_id: strawberry.ID | None = strawberry.field(
        description="For a MERGED duplicate: the record it was merged into."
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    model: strawberry.Private[PatientModel]

    @classmethod
    def from_model(cls, model: PatientModel) -> Patient:
        return cls(
            id=strawberry.ID(str(model.id)),
            practice=strawberry.ID(str(model.practice_id)),
            patient_number=model.patient_number,
            title=model.title,
            first_name=model.first_name,
            last_name=model.last_name,
            preferred_name=model.preferred_name,
            date_of_birth=model.date_of_birth,
            status=PatientStatus(model.status),
            last_activity_at=model.last_activity_at,
            created_at=model.created_at,
            merged_into_id=strawberry.ID(str(model.merged_into_id))
            if model.merged_into_id
            else None,
            practice_id=model.practice_id,  # type: ignore[arg-type]
            patient_id=model.id,
            model=model,
        )

    def read_record(self) -> ReadRecord:
        return ReadRecord("Patient", self.patient_id, self.patient_id, self.practice_id)

    def _text(self, column: str) -> str | None:
        return sealing.reveal(self.model, column)

    def _json(self, column: str) -> dict[str, Any] | None:
        return sealing.reveal_json(self.model, column)

    @strawberry.field(description="Sex registered at birth.", extensions=CONTACT)
    def sex_at_birth(self) -> SexAtBirthEnum | None:  # type: ignore[valid-type]
        return SexAtBirth(self.model.sex_at_birth) if self.model.sex_at_birth else None

    @strawberry.field(description="Gender identity, if the patient shared it.", extensions=CONTACT)
    def gender_identity(self) -> str | None:
        return self._text("gender_identity")

    @strawberry.field(description="Email address.", extensions=CONTACT)
    def email(self) -> str | None:
        return self._text("email")

    @strawberry.field(description="Mobile phone.", extensions=CONTACT)
    def mobile_phone(self) -> str | None:
        return self._text("mobile_phone")

    @strawberry.field(description="Landline phone.", extensions=CONTACT)
    def landline_phone(self) -> str | None:
        return self._text("landline_phone")

    @strawberry.field(description="Home address.", extensions=CONTACT)
    def address(self) -> Address | None:
        return Address.from_value(contact.address_from(self._json("address")))

    @strawberry.field(description="Emergency contact.", extensions=CONTACT)
    def emergency_contact(self) -> EmergencyContact | None:
        value = contact.emergency_contact_from(self._json("emergency_contact"))
        if value is None:
            return None
        return EmergencyContact(name=value.name, phone=value.phone, relationship=value.relationship)

    @strawberry.field(description="The patient's GP.", extensions=CONTACT)
    def gp(self) -> GpDetails | None:
        value = contact.gp_from(self._json("gp_details"))
        if value is None:
            return None
        return GpDetails(
            practice_name=value.practice_name,
            doctor_name=value.doctor_name,
            phone=value.phone,
            address=Address.from_value(value.address),
        )

    @strawberry.field(description="NHS (or CHI) number, as 3-3-4 digits.", extensions=CONTACT)
    def nhs_number(self) -> str | None:
        digits = self._text("nhs_number")
        return format_nhs_number(digits) if digits else None

    @strawberry.field(description="Front-desk notes (not clinical).", extensions=CONTACT)
    def reception_notes(self) -> str | None:
        return self._text("reception_notes")

    @strawberry.field(
        description="The latest medical history flags something to check before treatment.",
        extensions=CONTACT,
    )
    def has_medical_alert(self) -> bool | None:
        return self.model.has_medical_alert

    @strawberry.field(description="Preferred practitioner.", extensions=CONTACT)
    async def preferred_practitioner(self, info: Info) -> StaffMember | None:
        user_id = self.model.preferred_practitioner_id
        if user_id is None:
            return None
        user = await patient_loaders(info).user_by_id.load(UUID(str(user_id)))
        return (
            None
            if user is None
            else StaffMember(id=strawberry.ID(str(user.id)), full_name=user.full_name)
        )

    @strawberry.field(description="Guardians (for minors).", extensions=CONTACT)
    async def guardians(self, info: Info) -> list[GuardianLink] | None:
        loaders = patient_loaders(info)
        links = await loaders.guardian_links_by_patient_id.load(self.patient_id)
        found = [await loaders.patient_by_id.load(UUID(str(link.guardian_id))) for link in links]
        seen = await visibility.visible(
            info.context.principal,
            {UUID(str(g.id)): UUID(str(g.practice_id)) for g in found if g is not None},
        )
        result = []
        for link, guardian in zip(links, found, strict=True):
            if guardian is not None and UUID(str(guardian.id)) not in seen:
                guardian = None  # another patient the caller may not see: no name
            if guardian is not None:
                info.context.audit.read(
                    entity_type="Patient",
                    entity_id=guardian.id,
                    patient_id=guardian.id,
                    practice_id=self.practice_id,
                    fields=["firstName", "lastName"],
                )
            result.append(
                GuardianLink(
                    guardian_id=strawberry.ID(str(link.guardian_id)),
                    relationship=link.relationship,
                    parental_responsibility=link.parental_responsibility,
                    guardian_name=f"{guardian.first_name} {guardian.last_name}"
                    if guardian
                    else None,
                )
            )
        return result

    @strawberry.field(description="Alerts from the latest medical history.", extensions=CLINICAL)
    async def alerts(self, info: Info) -> list[str] | None:
        latest = await patient_loaders(info).latest_history_by_patient_id.load(self.patient_id)
        return [] if latest is None else history_service.alerts(history_service.answers_of(latest))

    @strawberry.field(description="Clinical notes.", extensions=CLINICAL)
    def clinical_notes(self) -> str | None:
        return self._text("clinical_notes")

    @strawberry.field(description="The latest medical history version.", extensions=CLINICAL)
    async def medical_history(self, info: Info) -> MedicalHistory | None:
        latest = await patient_loaders(info).latest_history_by_patient_id.load(self.patient_id)
        return None if latest is None else MedicalHistory.from_model(latest)

    @strawberry.field(description="Earlier versions too, newest first.", extensions=CLINICAL)
    async def medical_history_versions(
        self, info: Info, first: int = 20
    ) -> list[MedicalHistory] | None:
        found = await history_service.versions(
            info.context.principal, patient_id=self.patient_id, first=max(1, first)
        )
        return [MedicalHistory.from_model(h) for h in found]

    @strawberry.field(
        description="Injectable treatments (points, totals per product, adverse events), "
        "newest first. Each treatment read is audited.",
        extensions=[*CLINICAL, AuditReads()],
    )
    async def injectable_treatments(self, info: Info) -> list[InjectableTreatment] | None:
        found = await injectables.treatments_of(info.context.principal, patient_id=self.patient_id)
        return [InjectableTreatment.from_view(v) for v in found]

    @strawberry.field(
        description="Before/after photo series, oldest first, each with its photos in taken "
        "order (clinical:read). Each series read is audited.",
        extensions=[*CLINICAL, AuditReads()],
    )
    async def photo_series(self, info: Info) -> list[PhotoSeries] | None:
        principal = info.context.principal
        found = await photo_series_service.series_of(principal, patient_id=self.patient_id)
        return [PhotoSeries.from_view(v) for v in found]

    @strawberry.field(
        description="Membership (capitation) plan enrolments, newest first (billing:read). "
        "Each membership read is audited.",
        extensions=[*BILLING, AuditReads()],
    )
    async def memberships(self, info: Info) -> list[PatientMembership] | None:
        principal = info.context.principal
        found = await membership_service.memberships_of(principal, patient_id=self.patient_id)
        return [PatientMembership.from_view(v) for v in found]

    @strawberry.field(
        description="The patient's account: balance, credit on account, deposits held and a "
        "statement (billing:read; the patient their own; a partner app while the patient "
        "shares data with it). Each read is audited.",
        extensions=[*BILLING, AuditReads()],
    )
    async def account(self, info: Info) -> PatientAccount | None:
        view = await statements.account(info.context.principal, patient_id=self.patient_id)
        return PatientAccount.from_view(view)

    @strawberry.field(
        description="Insurance and payment arrangement (billing:read; the patient their own; a "
        "partner app while the patient shares data with it).",
        extensions=BILLING,
    )
    async def insurance(self, info: Info) -> Insurance | None:
        row = await patient_loaders(info).insurance_by_patient_id.load(self.patient_id)
        return None if row is None else Insurance.from_model(row)

    @strawberry.field(
        description=(
            "Who read or changed this record, newest first (from the audit log), board views "
            "and live board events included: a practice's with audit:read, a patient their own."
        ),
        extensions=requires(Scope.ACCESS_LOG_READ),
    )
    async def access_log(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[AuditEvent] | None:
        page = await audit.patient_access_log(
            info.context.principal,
            patient_id=self.patient_id,
            practice_id=self.practice_id,
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[AuditEvent].build(
            page.rows, AuditEvent.in_access_log(page), cursor_of, has_next=page.has_next
        )
