"""Who saw and changed what: the per-request read trail and the audit queries.

Reads and denials of one request are collected here and written as one batch at the end of the
operation (one insert per request, not per field). Changes are audited by the service that makes
them, inside its own unit of work. PHI never enters an audit row: ids and field names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from db import audit_chain
from db.audit_chain import AuditRecord
from db.models.audit import AuditEvent
from db.queries import audit as audit_queries
from db.tenancy import OrganizationId, PracticeId
from db.uow import unit_of_work
from services.errors import PolicyDenied
from services.policy import Scope
from services.principal import Principal


def record_for(
    principal: Principal,
    *,
    action: str,
    outcome: str = "OK",
    practice_id: UUID | None = None,
    entity_type: str | None = None,
    entity_id: object = None,
    patient_id: UUID | None = None,
    fields: list[str] | None = None,
    organization_id: UUID | None = None,
) -> AuditRecord:
    if organization_id is None and practice_id is not None:
        organization_id = principal.organization_of(PracticeId(practice_id))
    if organization_id is None and len(principal.organization_ids) == 1:
        organization_id = next(iter(principal.organization_ids))
    return AuditRecord(
        action=action,
        outcome=outcome,
        organization_id=organization_id,
        practice_id=practice_id,
        actor_user_id=principal.user_id,
        actor_role=principal.primary_role,
        client_id=principal.client_id,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        patient_id=patient_id,
        fields_read=fields or [],
        request_id=principal.meta.request_id,
        ip=principal.meta.ip,
        user_agent=principal.meta.user_agent,
    )


class ReadTrail:
    """Collects one request's reads and denials, merged per entity."""

    def __init__(self) -> None:
        self._reads: dict[tuple[str, str], tuple[UUID | None, UUID | None, set[str]]] = {}
        self._denials: list[tuple[str, list[str], UUID | None, UUID | None]] = []

    def read(
        self,
        *,
        entity_type: str,
        entity_id: object,
        patient_id: UUID | None,
        practice_id: UUID | None,
        fields: list[str],
    ) -> None:
        key = (entity_type, str(entity_id))
        _, _, known = self._reads.setdefault(key, (patient_id, practice_id, set()))
        known.update(fields)

    def denied(
        self,
        *,
        field: str,
        scopes: list[str],
        patient_id: UUID | None = None,
        practice_id: UUID | None = None,
    ) -> None:
        self._denials.append((field, scopes, patient_id, practice_id))

    def drain(self, principal: Principal, operation: str) -> list[AuditRecord]:
        records = [
            record_for(
                principal,
                action=f"READ {operation}",
                practice_id=practice_id,
                entity_type=entity_type,
                entity_id=entity_id,
                patient_id=patient_id,
                fields=sorted(fields),
            )
            for (entity_type, entity_id), (patient_id, practice_id, fields) in self._reads.items()
        ]
        records.extend(
            record_for(
                principal,
                action=f"DENIED {operation}",
                outcome="DENIED",
                practice_id=practice_id,
                entity_type=field.split(".", 1)[0],
                patient_id=patient_id,
                fields=[field, *scopes],
            )
            for field, scopes, patient_id, practice_id in self._denials
        )
        self._reads.clear()
        self._denials.clear()
        return records


async def write(records: list[AuditRecord]) -> None:
    if not records:
        return
    async with unit_of_work() as uow:
        for record in records:
            uow.audit(record)


async def record_denied(principal: Principal, *, action: str, practice_id: UUID | None) -> None:
    """Denied changes are audited outside the (rolled back) transaction of the attempt."""
    await write([record_for(principal, action=action, outcome="DENIED", practice_id=practice_id)])


@dataclass(frozen=True, slots=True)
class AuditFilter:
    patient_id: UUID | None = None
    actor_user_id: UUID | None = None
    client_id: str | None = None
    action_prefix: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    outcome: str | None = None


def _audit_reach(principal: Principal) -> tuple[set[OrganizationId], set[PracticeId]]:
    """Whole organization chains the principal may read, and single practices they may read."""
    organizations = {o for o, s in principal.organization_scopes.items() if Scope.AUDIT_READ in s}
    return organizations, set(principal.practices_with(Scope.AUDIT_READ))


async def list_events(
    principal: Principal,
    *,
    where: AuditFilter,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[AuditEvent], bool]:
    organizations, practices = _audit_reach(principal)
    if not (organizations or practices):
        raise PolicyDenied("You may not read the audit log.")
    rows = await audit_queries.events(
        organizations,
        practices,
        patient_id=where.patient_id,
        actor_user_id=where.actor_user_id,
        client_id=where.client_id,
        action_prefix=where.action_prefix,
        outcome=where.outcome,
        since=where.since,
        until=where.until,
        after=after,
        limit=first + 1,
    )
    return rows[:first], len(rows) > first


async def patient_access_log(
    principal: Principal,
    *,
    patient_id: UUID,
    practice_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> tuple[list[AuditEvent], bool]:
    """Who looked at or changed this record — for the practice, and for the patient themselves."""
    own_record = principal.is_patient and patient_id in principal.patient_ids
    allowed = principal.has_scope(Scope.AUDIT_READ, PracticeId(practice_id))
    if not (own_record or allowed):
        raise PolicyDenied("You may not read this access log.")
    rows = await audit_queries.events(
        set(),
        {PracticeId(practice_id)},
        patient_id=patient_id,
        after=after,
        limit=first + 1,
    )
    return rows[:first], len(rows) > first


async def verify_all() -> list[audit_chain.ChainReport]:
    return [await audit_chain.verify(chain) for chain in await audit_chain.chains()]


__all__ = ["AuditEvent", "AuditFilter", "ReadTrail", "record_for", "verify_all", "write"]
