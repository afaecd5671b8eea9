"""Data-subject requests, erasure outcomes, retention policies, breach register and impact."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any, cast

import strawberry
from strawberry.scalars import JSON

from db.models import BreachIncident as IncidentModel
from db.models import DataSubjectRequest as RequestModel
from db.models import Membership, Patient, ProcessingRestriction, User
from db.models import RetentionPolicy as PolicyModel
from db.models.patients import ResponsibilityEvidence
from db.models.privacy import RequestKind, RequestStatus, RestrictionKind
from graph.audit_extension import AuditedList, ReadRecord
from graph.ids import IdFields
from services.consent import breach
from services.consent.erasure import Verdict

RequestKindEnum = strawberry.enum(RequestKind, name="SubjectRequestKind", description="Right used.")
RequestStatusEnum = strawberry.enum(
    RequestStatus, name="SubjectRequestStatus", description="Where a request stands."
)
RestrictionKindEnum = strawberry.enum(
    RestrictionKind, name="RestrictionKind", description="Restriction or objection."
)


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


@strawberry.type(description="What happened to one category of data.")
class ErasureCategory:
    category: str = strawberry.field(
        description="Data category, e.g. ACCOUNT_CONTACT, CLINICAL, FINANCIAL or AUDIT.",
    )
    action: str = strawberry.field(description="ERASED, ANONYMISED or KEPT.")
    reason: str = strawberry.field(
        description="Why, e.g. the retention rule or legal hold that applies.",
    )
    until: date | None = strawberry.field(description="Kept until (then erased).")

    @classmethod
    def of(cls, value: Verdict | dict[str, object]) -> ErasureCategory:
        data = value.as_dict() if isinstance(value, Verdict) else value
        until = data.get("until")
        return cls(
            category=str(data["category"]),
            action=str(data["action"]),
            reason=str(data["reason"]),
            until=date.fromisoformat(until) if isinstance(until, str) else None,
        )


@strawberry.type(description="A data-subject request, due one calendar month after receipt.")
class SubjectRequest:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The data subject.")
    kind: RequestKindEnum = strawberry.field(description="The right exercised.")  # type: ignore[valid-type]
    status: RequestStatusEnum = strawberry.field(description="Where the request stands.")  # type: ignore[valid-type]
    received_at: datetime = strawberry.field(
        description="When it was received, ISO 8601 with offset.",
    )
    due_at: datetime = strawberry.field(description="Deadline: one calendar month after receipt.")
    completed_at: datetime | None = strawberry.field(
        description="When it was closed; null while open.",
    )
    handled_by_id: strawberry.ID | None = strawberry.field(
        description="User who logged or last handled it.",
    )
    erase_after: date | None = strawberry.field(description="Scheduled erasure date, if any.")
    outcome: list[ErasureCategory] = strawberry.field(
        description="Per-category result of an erasure; empty otherwise.",
    )

    @classmethod
    def from_model(cls, row: RequestModel) -> SubjectRequest:
        return cls(
            id=strawberry.ID(str(row.id)),
            patient_id=strawberry.ID(str(row.patient_id)),
            kind=RequestKind(row.kind),
            status=RequestStatus(row.status),
            received_at=row.received_at,
            due_at=row.due_at,
            completed_at=row.completed_at,
            handled_by_id=_id(row.handled_by_user_id),
            erase_after=row.erase_after,
            outcome=[ErasureCategory.of(v) for v in row.outcome or []],
        )


@strawberry.input(description="A data-subject request to log.")
class ReceiveSubjectRequestInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The data subject.")
    kind: RequestKindEnum = strawberry.field(description="The right exercised.")  # type: ignore[valid-type]
    received_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When it arrived, ISO 8601 with offset; default now. The deadline counts from here."
        ),
    )


@strawberry.type(description="The logged data-subject request.")
class ReceiveSubjectRequestPayload:
    request: SubjectRequest = strawberry.field(description="The logged request with its due date.")


@strawberry.input(description="Carry out an erasure request.")
class ErasePatientDataInput(IdFields):
    request_id: strawberry.ID = strawberry.field(description="An open ERASURE request.")


@strawberry.type(description="The erasure request and what happened to each data category.")
class ErasePatientDataPayload:
    request: SubjectRequest = strawberry.field(description="The request after the erasure.")
    categories: list[ErasureCategory] = strawberry.field(
        description="One entry per data category: erased, anonymised or kept.",
    )


@strawberry.type(description="Everything held about a patient.")
class ExportPatientDataPayload:
    document: JSON = strawberry.field(description="Machine-readable (aescrm.patient-export/1).")
    summary: str = strawberry.field(description="Human-readable account of the export.")

    @classmethod
    def from_document(cls, document: dict[str, Any]) -> ExportPatientDataPayload:
        """The export's ``summary`` is shown apart, not repeated inside the document."""
        rest = {key: value for key, value in document.items() if key != "summary"}
        return cls(document=cast("JSON", rest), summary=str(document["summary"]))


@strawberry.input(description="Restrict processing of a patient's data, or record an objection.")
class PlaceRestrictionInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    kind: RestrictionKindEnum = strawberry.field(  # type: ignore[valid-type]
        description="RESTRICTION (Art. 18) or OBJECTION to direct marketing (Art. 21).",
    )
    reason: str = strawberry.field(description="Why, 1-300 characters.")


@strawberry.type(description="The restriction now in force.")
class PlaceRestrictionPayload:
    restriction_id: strawberry.ID = strawberry.field(description="Id of the new restriction.")
    kind: RestrictionKindEnum = strawberry.field(description="What was placed.")  # type: ignore[valid-type]

    @classmethod
    def from_model(cls, row: ProcessingRestriction) -> PlaceRestrictionPayload:
        return cls(restriction_id=strawberry.ID(str(row.id)), kind=RestrictionKind(row.kind))


@strawberry.input(description="Lift a restriction, or withdraw an objection.")
class LiftRestrictionInput(IdFields):
    restriction_id: strawberry.ID = strawberry.field(description="The restriction in force.")


@strawberry.type(description="A restriction or objection on a patient's data.")
class ProcessingRestrictionRecord:
    id: strawberry.ID
    kind: RestrictionKindEnum = strawberry.field(description="Restriction or objection.")  # type: ignore[valid-type]
    reason: str = strawberry.field(description="Why it was placed.")
    placed_at: datetime = strawberry.field(description="When it was placed, ISO 8601 with offset.")
    lifted_at: datetime | None = strawberry.field(
        description="When it was lifted; null while in force.",
    )

    @classmethod
    def from_model(cls, row: ProcessingRestriction) -> ProcessingRestrictionRecord:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=RestrictionKind(row.kind),
            reason=row.reason,
            placed_at=row.created_at,
            lifted_at=row.lifted_at,
        )

    @classmethod
    def in_force_on(
        cls, patient: Patient, rows: Iterable[ProcessingRestriction]
    ) -> list[ProcessingRestrictionRecord]:
        """The restrictions of one patient: reading them, even none, reads the patient."""
        about = ReadRecord("Patient", patient.id, patient.id, patient.practice_id)  # type: ignore[arg-type]
        return AuditedList((cls.from_model(r) for r in rows), about)


@strawberry.type(description="The restriction, now lifted.")
class LiftRestrictionPayload:
    restriction: ProcessingRestrictionRecord = strawberry.field(
        description="The restriction with its lifting time.",
    )


@strawberry.type(description="How long one record class is kept in one jurisdiction.")
class RetentionPolicy:
    jurisdiction: str = strawberry.field(
        description="E.g. ENGLAND, WALES, SCOTLAND or NORTHERN_IRELAND.",
    )
    record_class: str = strawberry.field(
        description="ACCOUNT_CONTACT, CLINICAL, FINANCIAL or AUDIT.",
    )
    years: int = strawberry.field(description="Years kept after the last activity or treatment.")
    minor_until_birthday: int | None = strawberry.field(
        description=(
            "Children's records are kept at least until this birthday; null if no minors' rule."
        ),
    )
    minor_aged_17_until_birthday: int | None = strawberry.field(
        description="Instead, until this birthday if the patient was 17 when treatment ended.",
    )
    basis: str = strawberry.field(description="The law or guidance behind the rule.")

    @classmethod
    def from_model(cls, row: PolicyModel) -> RetentionPolicy:
        return cls(
            jurisdiction=row.jurisdiction,
            record_class=row.record_class,
            years=row.years,
            minor_until_birthday=row.minor_until_birthday,
            minor_aged_17_until_birthday=row.minor_aged_17_until_birthday,
            basis=row.basis,
        )


@strawberry.type(description="A personal-data breach and its 72-hour reporting deadline.")
class BreachIncident:
    id: strawberry.ID
    title: str = strawberry.field(description="Short title, up to 200 characters.")
    description: str = strawberry.field(description="What happened.")
    detected_at: datetime = strawberry.field(
        description="When the organisation became aware, ISO 8601 with offset.",
    )
    report_deadline: datetime = strawberry.field(description="Detected at + 72 hours.")
    reported_at: datetime | None = strawberry.field(
        description="When it was reported to the ICO; null until then.",
    )
    status: str = strawberry.field(description="OPEN, or REPORTED once reported to the ICO.")
    subject_user_id: strawberry.ID | None = strawberry.field(
        description="User account involved, if any.",
    )
    subject_client_id: str | None = strawberry.field(
        description="Partner OAuth client id involved, if any.",
    )
    practice_id: strawberry.ID | None = strawberry.field(
        description="The practice it concerns; null for the whole organisation.",
    )

    @classmethod
    def from_model(cls, row: IncidentModel) -> BreachIncident:
        return cls(
            id=strawberry.ID(str(row.id)),
            title=row.title,
            description=row.description,
            detected_at=row.detected_at,
            report_deadline=breach.deadline(row),
            reported_at=row.reported_at,
            status=row.status,
            subject_user_id=_id(row.subject_user_id),
            subject_client_id=row.subject_client_id,
            practice_id=_id(row.practice_id),
        )


@strawberry.input(description="A personal-data breach to record.")
class RecordBreachIncidentInput(IdFields):
    organization_id: strawberry.ID = strawberry.field(
        description="Organisation the breach belongs to.",
    )
    title: str = strawberry.field(description="Short title, 1-200 characters.")
    description: str = strawberry.field(default="", description="What happened; default empty.")
    detected_at: datetime = strawberry.field(
        description=(
            "When it was detected, ISO 8601 with offset; not in the future. Starts the 72-hour "
            "clock."
        ),
    )
    subject_user_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="User account involved, if any.",
    )
    subject_client_id: str | None = strawberry.field(
        default=None,
        description="Partner OAuth client id involved, if any.",
    )
    practice_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "The practice it concerns, one of the caller's. Null: the whole organisation for an "
            "organisation admin, the caller's practice for a practice-level role (required when "
            "they hold audit:read in several practices of the organisation)."
        ),
    )


@strawberry.type(description="The recorded breach incident.")
class RecordBreachIncidentPayload:
    incident: BreachIncident = strawberry.field(
        description="The incident with its reporting deadline.",
    )


@strawberry.type(description="A patient whose data a principal read or changed in the window.")
class BreachImpact:
    patient_id: strawberry.ID = strawberry.field(description="The patient whose data was touched.")
    practice_id: strawberry.ID | None = strawberry.field(
        description="The practice recorded in the audit log, if any.",
    )
    reads: int = strawberry.field(description="Audited reads of the patient's data in the window.")
    changes: int = strawberry.field(
        description="Audited changes to the patient's data in the window.",
    )
    first_at: datetime = strawberry.field(description="First access in the window.")
    last_at: datetime = strawberry.field(description="Last access in the window.")

    @classmethod
    def of(cls, touch: breach.Touch) -> BreachImpact:
        return cls(
            patient_id=strawberry.ID(str(touch.patient_id)),
            practice_id=_id(touch.practice_id),
            reads=touch.reads,
            changes=touch.changes,
            first_at=touch.first_at,
            last_at=touch.last_at,
        )


@strawberry.input(description="A patient portal login (patients 16 or over).")
class CreatePortalAccountInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient; must be 16 or over.")
    email: str = strawberry.field(
        description="Login email, up to 254 characters; stored lower-case; must not be in use.",
    )
    password: str = strawberry.field(description="Initial password; must meet the password policy.")


@strawberry.type(description="The new portal account.")
class CreatePortalAccountPayload:
    user_id: strawberry.ID = strawberry.field(description="Id of the new portal user.")

    @classmethod
    def from_model(cls, user: User) -> CreatePortalAccountPayload:
        return cls(user_id=strawberry.ID(str(user.id)))


EvidenceEnum = strawberry.enum(
    ResponsibilityEvidence,
    name="ParentalResponsibilityEvidence",
    description="What staff saw that proves parental responsibility for a child.",
)


@strawberry.input(description="Give a guardian's portal account access to a child's record.")
class GrantGuardianPortalAccessInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The child.")
    guardian_id: strawberry.ID = strawberry.field(
        description=(
            "The guardian: a patient linked to the child with parental responsibility, who "
            "has their own portal account."
        ),
    )
    evidence: EvidenceEnum = strawberry.field(  # type: ignore[valid-type]
        description="The document checked that proves parental responsibility (recorded).",
    )


@strawberry.type(description="The guardian's portal access to the child's record.")
class GrantGuardianPortalAccessPayload:
    user_id: strawberry.ID = strawberry.field(description="The guardian's portal user.")
    patient_id: strawberry.ID = strawberry.field(description="The child's record it now reaches.")
    evidence: EvidenceEnum = strawberry.field(  # type: ignore[valid-type]
        description="The evidence of parental responsibility recorded with the grant.",
    )

    @classmethod
    def from_membership(
        cls, membership: Membership, evidence: ResponsibilityEvidence
    ) -> GrantGuardianPortalAccessPayload:
        return cls(
            user_id=strawberry.ID(str(membership.user_id)),
            patient_id=strawberry.ID(str(membership.patient_id)),
            evidence=evidence,
        )
