"""Data-subject requests, export, erasure, restriction, retention, breach and portal accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from db.models import DataSubjectRequest
from db.models.patients import ResponsibilityEvidence
from db.models.privacy import RequestKind, RestrictionKind
from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument, optional_id_argument
from graph.permissions.fields import requires
from graph.schema.pagination import page_size
from graph.schema.privacy import (
    BreachImpact,
    BreachIncident,
    CreatePortalAccountInput,
    CreatePortalAccountPayload,
    ErasePatientDataInput,
    ErasePatientDataPayload,
    ErasureCategory,
    ExportPatientDataPayload,
    GrantGuardianPortalAccessInput,
    GrantGuardianPortalAccessPayload,
    LiftRestrictionInput,
    LiftRestrictionPayload,
    PlaceRestrictionInput,
    PlaceRestrictionPayload,
    ProcessingRestrictionRecord,
    ReceiveSubjectRequestInput,
    ReceiveSubjectRequestPayload,
    RecordBreachIncidentInput,
    RecordBreachIncidentPayload,
    RetentionPolicy,
    SubjectRequest,
)
from services.consent import breach, erasure, export, policies, portal, requests, restriction
from services.policy import Scope


@strawberry.type
class PrivacyQueries:
    @strawberry.field(
        description="Data-subject requests of a practice, soonest due first.",
        extensions=requires(Scope.CONSENT_WRITE),
    )
    async def subject_requests(
        self, info: Info, practice_id: strawberry.ID, open_only: bool = True, first: int = 50
    ) -> list[SubjectRequest] | None:
        rows = await requests.listed(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            open_only=open_only,
            first=page_size(first),
        )
        return [SubjectRequest.from_model(r) for r in rows]

    @strawberry.field(
        description="Restrictions and objections in force on a patient's data, oldest first.",
        extensions=[*requires(Scope.PATIENT_READ), AuditReads(["restrictions"])],
    )
    async def restrictions_in_force(
        self, info: Info, patient_id: strawberry.ID
    ) -> list[ProcessingRestrictionRecord] | None:
        patient, rows = await restriction.in_force(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return ProcessingRestrictionRecord.in_force_on(patient, rows)

    @strawberry.field(description="Retention periods per jurisdiction and record class.")
    async def retention_policies(self) -> list[RetentionPolicy]:
        return [RetentionPolicy.from_model(p) for p in (await policies.table()).values()]

    @strawberry.field(
        description="The breach register of the caller's organizations, newest first.",
        extensions=requires(Scope.AUDIT_READ),
    )
    async def breach_incidents(self, info: Info, first: int = 50) -> list[BreachIncident] | None:
        rows = await breach.incidents(info.context.principal, first=page_size(first))
        return [BreachIncident.from_model(r) for r in rows]

    @strawberry.field(
        description="Every patient a user or partner client read or changed in [from, to), "
        "from the audit log.",
        extensions=requires(Scope.AUDIT_READ),
    )
    async def breach_impact(
        self,
        info: Info,
        from_: Annotated[datetime, strawberry.argument(name="from")],
        to: datetime,
        user_id: strawberry.ID | None = None,
        client_id: str | None = None,
    ) -> list[BreachImpact] | None:
        touched = await breach.impact(
            info.context.principal,
            user_id=optional_id_argument(user_id=user_id),
            client_id=client_id,
            since=from_,
            until=to,
        )
        return [BreachImpact.of(t) for t in touched]


@strawberry.type
class PrivacyMutations:
    @strawberry.mutation(description="Everything held about a patient (right of access).")
    async def export_patient_data(
        self, info: Info, patient_id: strawberry.ID
    ) -> ExportPatientDataPayload | None:
        doc = await export.export_patient_data(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return ExportPatientDataPayload.from_document(doc)

    @strawberry.mutation(description="Log a data-subject request; due one month later.")
    async def receive_subject_request(
        self, info: Info, input: ReceiveSubjectRequestInput
    ) -> ReceiveSubjectRequestPayload | None:
        row = await requests.receive(
            info.context.principal,
            patient_id=input.ids.patient_id,
            kind=RequestKind(input.kind),
            received_at=input.received_at,
        )
        return ReceiveSubjectRequestPayload(request=SubjectRequest.from_model(row))

    @strawberry.mutation(description="Carry out an erasure request, category by category.")
    async def erase_patient_data(
        self, info: Info, input: ErasePatientDataInput
    ) -> ErasePatientDataPayload | None:
        request_id = input.ids.request_id
        verdicts = await erasure.erase(info.context.principal, request_id=request_id)
        row = await DataSubjectRequest.get(id=request_id)
        return ErasePatientDataPayload(
            request=SubjectRequest.from_model(row),
            categories=[ErasureCategory.of(v) for v in verdicts],
        )

    @strawberry.mutation(description="Restrict processing, or record an objection to marketing.")
    async def place_restriction(
        self, info: Info, input: PlaceRestrictionInput
    ) -> PlaceRestrictionPayload | None:
        row = await restriction.place(
            info.context.principal,
            patient_id=input.ids.patient_id,
            kind=RestrictionKind(input.kind),
            reason=input.reason,
        )
        return PlaceRestrictionPayload.from_model(row)

    @strawberry.mutation(
        description="Lift a restriction (staff), or withdraw an objection (staff or the patient)."
    )
    async def lift_restriction(
        self, info: Info, input: LiftRestrictionInput
    ) -> LiftRestrictionPayload | None:
        row = await restriction.lift(
            info.context.principal, restriction_id=input.ids.restriction_id
        )
        return LiftRestrictionPayload(restriction=ProcessingRestrictionRecord.from_model(row))

    @strawberry.mutation(description="Record a personal-data breach (72-hour clock starts).")
    async def record_breach_incident(
        self, info: Info, input: RecordBreachIncidentInput
    ) -> RecordBreachIncidentPayload | None:
        row = await breach.record_incident(
            info.context.principal,
            organization_id=input.ids.organization_id,
            title=input.title,
            description=input.description,
            detected_at=input.detected_at,
            subject_user_id=input.optional_ids.subject_user_id,
            subject_client_id=input.subject_client_id,
            practice_id=input.optional_ids.practice_id,
        )
        return RecordBreachIncidentPayload(incident=BreachIncident.from_model(row))

    @strawberry.mutation(description="Open a portal account for a patient aged 16 or over.")
    async def create_portal_account(
        self, info: Info, input: CreatePortalAccountInput
    ) -> CreatePortalAccountPayload | None:
        user = await portal.create_account(
            info.context.principal,
            patient_id=input.ids.patient_id,
            email=input.email,
            password=input.password,
        )
        return CreatePortalAccountPayload.from_model(user)

    @strawberry.mutation(
        description="Let a guardian's portal account reach a child's record, recording the "
        "evidence of parental responsibility (staff with patient:write)."
    )
    async def grant_guardian_portal_access(
        self, info: Info, input: GrantGuardianPortalAccessInput
    ) -> GrantGuardianPortalAccessPayload | None:
        evidence = ResponsibilityEvidence(input.evidence)
        membership = await portal.grant_guardian_access(
            info.context.principal,
            patient_id=input.ids.patient_id,
            guardian_id=input.ids.guardian_id,
            evidence=evidence,
        )
        return GrantGuardianPortalAccessPayload.from_membership(membership, evidence)
