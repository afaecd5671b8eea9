"""Data-subject requests, erasure outcomes, retention policies, breach register and impact."""

from __future__ import annotations

from datetime import date, datetime

import strawberry
from strawberry.scalars import JSON

from db.models import BreachIncident as IncidentModel
from db.models import DataSubjectRequest as RequestModel
from db.models import RetentionPolicy as PolicyModel
from db.models.privacy import RequestKind, RequestStatus, RestrictionKind
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
    category: str
    action: str = strawberry.field(description="ERASED, ANONYMISED or KEPT.")
    reason: str
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
    patient_id: strawberry.ID
    kind: RequestKindEnum  # type: ignore[valid-type]
    status: RequestStatusEnum  # type: ignore[valid-type]
    received_at: datetime
    due_at: datetime
    completed_at: datetime | None
    handled_by_id: strawberry.ID | None
    erase_after: date | None = strawberry.field(description="Scheduled erasure date, if any.")
    outcome: list[ErasureCategory]

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


@strawberry.input
class ReceiveSubjectRequestInput:
    patient_id: strawberry.ID
    kind: RequestKindEnum  # type: ignore[valid-type]
    received_at: datetime | None = None


@strawberry.type
class ReceiveSubjectRequestPayload:
    request: SubjectRequest


@strawberry.input
class ErasePatientDataInput:
    request_id: strawberry.ID


@strawberry.type
class ErasePatientDataPayload:
    request: SubjectRequest
    categories: list[ErasureCategory]


@strawberry.type(description="Everything held about a patient.")
class ExportPatientDataPayload:
    document: JSON = strawberry.field(description="Machine-readable (aescrm.patient-export/1).")
    summary: str = strawberry.field(description="Human-readable account of the export.")


@strawberry.input
class PlaceRestrictionInput:
    patient_id: strawberry.ID
    kind: RestrictionKindEnum  # type: ignore[valid-type]
    reason: str


@strawberry.type
class PlaceRestrictionPayload:
    restriction_id: strawberry.ID
    kind: RestrictionKindEnum  # type: ignore[valid-type]


@strawberry.type(description="How long one record class is kept in one jurisdiction.")
class RetentionPolicy:
    jurisdiction: str
    record_class: str
    years: int
    minor_until_birthday: int | None
    minor_aged_17_until_birthday: int | None
    basis: str

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
    title: str
    description: str
    detected_at: datetime
    report_deadline: datetime = strawberry.field(description="Detected at + 72 hours.")
    reported_at: datetime | None
    status: str
    subject_user_id: strawberry.ID | None
    subject_client_id: str | None

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
        )


@strawberry.input
class RecordBreachIncidentInput:
    organization_id: strawberry.ID
    title: str
    description: str = ""
    detected_at: datetime
    subject_user_id: strawberry.ID | None = None
    subject_client_id: str | None = None


@strawberry.type
class RecordBreachIncidentPayload:
    incident: BreachIncident


@strawberry.type(description="A patient whose data a principal read or changed in the window.")
class BreachImpact:
    patient_id: strawberry.ID
    practice_id: strawberry.ID | None
    reads: int
    changes: int
    first_at: datetime
    last_at: datetime

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


@strawberry.input
class CreatePortalAccountInput:
    patient_id: strawberry.ID
    email: str
    password: str


@strawberry.type
class CreatePortalAccountPayload:
    user_id: strawberry.ID
