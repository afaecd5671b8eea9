"""The audit log as partners and admins see it: ids and field names, never values."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import strawberry

from db.models.audit import AuditEvent as AuditEventModel
from graph.ids import IdFields
from services.audit import AccessLogPage, AuditFilter


@strawberry.type(description="One audited action: who did what to which record, and the outcome.")
class AuditEvent:
    id: strawberry.ID
    occurred_at: datetime = strawberry.field(description="When it happened.")
    action: str = strawberry.field(description="What was done, e.g. `READ query PatientCard`.")
    outcome: str = strawberry.field(
        description="OK, DENIED, or INTEGRITY_ERROR (a stored value failed its integrity check)."
    )
    actor_user_id: strawberry.ID | None = strawberry.field(description="The person, if any.")
    actor_role: str | None = strawberry.field(description="Their role at the time.")
    client_id: str | None = strawberry.field(description="Partner app acting, if any.")
    practice_id: strawberry.ID | None = strawberry.field(description="Practice concerned.")
    entity_type: str | None = strawberry.field(description="Kind of record touched.")
    entity_id: str | None = strawberry.field(description="Which record.")
    patient_id: strawberry.ID | None = strawberry.field(description="Patient concerned, if any.")
    fields: list[str] = strawberry.field(description="Field names read or changed (no values).")
    request_id: str | None = strawberry.field(description="Correlates with server logs.")
    ip: str | None = strawberry.field(
        description="Client address (null in a patient's own view of their access log)."
    )
    sequence: int = strawberry.field(description="Position in the tamper-evident chain.")
    actor_name: str | None = strawberry.field(
        default=None,
        description="The person's name (set in a patient record's access log).",
    )
    client_name: str | None = strawberry.field(
        default=None,
        description="The partner app's registered name (set in a patient record's access log).",
    )

    @classmethod
    def in_access_log(cls, page: AccessLogPage) -> Callable[[AuditEventModel], AuditEvent]:
        """Rows of a patient's access log: who by name and app; for the patient themselves
        without staff addresses or request ids."""

        def build(row: AuditEventModel) -> AuditEvent:
            event = cls.from_model(row)
            event.actor_name = page.actor_names.get(str(row.actor_user_id))
            event.client_name = page.client_names.get(str(row.client_id))
            if page.for_subject:
                event.ip = event.request_id = None
            return event

        return build

    @classmethod
    def from_model(cls, row: AuditEventModel) -> AuditEvent:
        def opt(value: object) -> strawberry.ID | None:
            return None if value is None else strawberry.ID(str(value))

        return cls(
            id=strawberry.ID(str(row.id)),
            occurred_at=row.occurred_at,
            action=row.action,
            outcome=row.outcome,
            actor_user_id=opt(row.actor_user_id),
            actor_role=row.actor_role,
            client_id=row.client_id,
            practice_id=opt(row.practice_id),
            entity_type=row.entity_type,
            entity_id=row.entity_id,
            patient_id=opt(row.patient_id),
            fields=list(row.fields_read or []),
            request_id=row.request_id,
            ip=row.ip,
            sequence=int(row.seq),
        )


@strawberry.input(description="Narrow the audit log. All conditions must hold.")
class AuditEventFilter(IdFields):
    patient_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only rows about this patient."
    )
    actor_user_id: strawberry.ID | None = strawberry.field(
        default=None, description="Only what this person did."
    )
    client_id: str | None = strawberry.field(
        default=None, description="Only what this partner app did."
    )
    action_prefix: str | None = strawberry.field(default=None, description="e.g. `DENIED`.")
    outcome: str | None = strawberry.field(
        default=None, description="OK, DENIED or INTEGRITY_ERROR."
    )
    since: datetime | None = strawberry.field(default=None, description="From this time on.")
    until: datetime | None = strawberry.field(default=None, description="Before this time.")

    def to_filter(self) -> AuditFilter:
        return AuditFilter(
            patient_id=self.optional_ids.patient_id,
            actor_user_id=self.optional_ids.actor_user_id,
            client_id=self.client_id,
            action_prefix=self.action_prefix,
            since=self.since,
            until=self.until,
            outcome=self.outcome,
        )


def cursor_of(row: AuditEventModel) -> list[object]:
    return [row.occurred_at.isoformat(), str(row.id)]
