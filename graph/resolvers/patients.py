"""Patient queries and mutations: each resolver parses ids, calls one service, maps the result.

Every patient returned by a query is recorded in the request's read trail with the fields the
caller selected (names only) by ``AuditReads``, written as one audit batch when the operation
ends.
"""

from __future__ import annotations

from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.medical_history import Insurance, MedicalHistory
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.patient_inputs import (
    CreatePatientInput,
    CreatePatientPayload,
    GuardianLinkPayload,
    LinkGuardianInput,
    MergePatientsInput,
    MergePatientsPayload,
    RecordMedicalHistoryInput,
    RecordMedicalHistoryPayload,
    SetPatientInsuranceInput,
    SetPatientInsurancePayload,
    UnlinkGuardianInput,
    UpdatePatientInput,
    UpdatePatientPayload,
    service_values,
)
from graph.schema.patients import Patient
from services.patients import guardians, insurance, medical_history, merge, records
from services.patients import search as search_service
from services.policy import Scope


@strawberry.type
class PatientQueries:
    @strawberry.field(
        description="Patients of a practice, by name words (each starts a word of the name), "
        "date of birth, patient number or exact email, mobile or NHS number. Name matches are "
        "ranked: exact surname, then surname prefix, then first name, then other words; "
        "otherwise, and within a rank, ordered by name.",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads()],
    )
    async def patients(
        self,
        info: Info,
        practice_id: strawberry.ID,
        search: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Patient] | None:
        page = await search_service.search_patients(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            search=search,
            first=page_size(first),
            after=after_key(after, UUID),
        )
        return Connection[Patient].build(
            page.patients, Patient.from_model, lambda p: [str(p.id)], has_next=page.has_next
        )

    @strawberry.field(
        description="One patient by id.",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads()],
    )
    async def patient(self, info: Info, id: strawberry.ID) -> Patient | None:
        found = await records.get_patient(info.context.principal, patient_id=id_argument(id=id))
        return Patient.from_model(found)


@strawberry.type
class PatientMutations:
    @strawberry.mutation(description="Register a new patient.")
    async def create_patient(
        self, info: Info, input: CreatePatientInput
    ) -> CreatePatientPayload | None:
        created = await records.create_patient(
            info.context.principal,
            practice_id=input.ids.practice_id,
            values=service_values(input),
        )
        return CreatePatientPayload(patient=Patient.from_model(created))

    @strawberry.mutation(description="Rectify a patient's details; audited by field name.")
    async def update_patient(
        self, info: Info, id: strawberry.ID, input: UpdatePatientInput
    ) -> UpdatePatientPayload | None:
        updated, changed = await records.update_patient(
            info.context.principal, patient_id=id_argument(id=id), values=service_values(input)
        )
        return UpdatePatientPayload(patient=Patient.from_model(updated), changed_fields=changed)

    @strawberry.mutation(description="Merge a duplicate record into another (audited).")
    async def merge_patients(
        self, info: Info, input: MergePatientsInput
    ) -> MergePatientsPayload | None:
        survivor, moved = await merge.merge_patients(
            info.context.principal,
            survivor_id=input.ids.survivor_id,
            duplicate_id=input.ids.duplicate_id,
        )
        return MergePatientsPayload(
            patient=Patient.from_model(survivor), merged_patient_id=input.duplicate_id, moved=moved
        )

    @strawberry.mutation(
        description="Record a new medical history version: confirmed by a clinician "
        "(clinical:write) or signed by the patient on their own record."
    )
    async def record_medical_history(
        self, info: Info, input: RecordMedicalHistoryInput
    ) -> RecordMedicalHistoryPayload | None:
        history, patient = await medical_history.record(
            info.context.principal,
            patient_id=input.ids.patient_id,
            answers=input.answers(),
            attestation=medical_history.Attestation(input.attestation),
            attested_at=input.attested_at,
        )
        return RecordMedicalHistoryPayload(
            medical_history=MedicalHistory.from_model(history), patient=Patient.from_model(patient)
        )

    @strawberry.mutation(description="Set or replace a patient's insurance (billing:write).")
    async def set_patient_insurance(
        self, info: Info, input: SetPatientInsuranceInput
    ) -> SetPatientInsurancePayload | None:
        row, changed = await insurance.set_insurance(
            info.context.principal,
            patient_id=input.ids.patient_id,
            details=input.details(),
        )
        return SetPatientInsurancePayload(
            insurance=Insurance.from_model(row), changed_fields=changed
        )

    @strawberry.mutation(description="Link a guardian to a minor patient.")
    async def link_guardian(
        self, info: Info, input: LinkGuardianInput
    ) -> GuardianLinkPayload | None:
        patient = await guardians.link_guardian(
            info.context.principal,
            patient_id=input.ids.patient_id,
            guardian_id=input.ids.guardian_id,
            relationship=input.relationship,
            parental_responsibility=input.parental_responsibility,
        )
        return GuardianLinkPayload(patient=Patient.from_model(patient))

    @strawberry.mutation(description="Remove a guardian link.")
    async def unlink_guardian(
        self, info: Info, input: UnlinkGuardianInput
    ) -> GuardianLinkPayload | None:
        patient = await guardians.unlink_guardian(
            info.context.principal,
            patient_id=input.ids.patient_id,
            guardian_id=input.ids.guardian_id,
        )
        return GuardianLinkPayload(patient=Patient.from_model(patient))
