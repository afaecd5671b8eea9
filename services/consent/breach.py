"""Breach response: the incident register and who a suspect principal touched.

The ICO must be told within 72 hours of the practice becoming aware, so each incident shows its
deadline. ``impact`` lists every patient a user or partner client read or changed in a window,
straight from the audit log (reads are audited per request, changes per transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from db.models import AuditEvent, BreachIncident
from db.tenancy import OrganizationId
from db.uow import unit_of_work
from services import audit
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import Principal

REPORTING_WINDOW = timedelta(hours=72)


def deadline(incident: BreachIncident) -> datetime:
    return incident.detected_at + REPORTING_WINDOW


def _organizations(principal: Principal) -> set[OrganizationId]:
    reach = {o for o, s in principal.organization_scopes.items() if Scope.AUDIT_READ in s}
    for practice_id in principal.practices_with(Scope.AUDIT_READ):
        org = principal.organization_of(practice_id)
        if org is not None:
            reach.add(org)
    if not reach or principal.client_id or principal.is_patient:
        raise PolicyDenied("You may not handle breach incidents.")
    return reach


async def record_incident(
    principal: Principal,
    *,
    organization_id: UUID,
    title: str,
    description: str,
    detected_at: datetime,
    subject_user_id: UUID | None = None,
    subject_client_id: str | None = None,
) -> BreachIncident:
    if OrganizationId(organization_id) not in _organizations(principal):
        raise NotFound("Organization")
    if not title.strip() or len(title) > 200:
        raise ValidationFailed("Give a title (1-200 characters).", field="title")
    if detected_at > datetime.now(UTC):
        raise ValidationFailed("Detection cannot be in the future.", field="detectedAt")
    async with unit_of_work() as uow:
        row = BreachIncident(
            id=uuid4(),
            organization_id=organization_id,
            title=title.strip(),
            description=description,
            detected_at=detected_at,
            subject_user_id=subject_user_id,
            subject_client_id=subject_client_id,
            recorded_by_user_id=principal.user_id,
        )
        await row.save(using_db=uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="RECORD breach incident",
                organization_id=organization_id,
                entity_type="BreachIncident",
                entity_id=row.id,
            )
        )
    return row


async def mark_reported(principal: Principal, *, incident_id: UUID, at: datetime) -> BreachIncident:
    row = await BreachIncident.get_or_none(id=incident_id)
    if row is None or OrganizationId(UUID(str(row.organization_id))) not in _organizations(
        principal
    ):
        raise NotFound("Incident")
    async with unit_of_work() as uow:
        row.reported_at = at
        row.status = "REPORTED"
        await row.save(using_db=uow.connection, update_fields=["reported_at", "status"])
        uow.audit(
            audit.record_for(
                principal,
                action="REPORT breach incident",
                organization_id=UUID(str(row.organization_id)),
                entity_type="BreachIncident",
                entity_id=row.id,
            )
        )
    return row


async def incidents(principal: Principal, *, first: int) -> list[BreachIncident]:
    reach = _organizations(principal)
    return await BreachIncident.filter(organization_id__in=list(reach)).limit(first)


@dataclass(frozen=True, slots=True)
class Touch:
    patient_id: UUID
    practice_id: UUID | None
    reads: int
    changes: int
    first_at: datetime
    last_at: datetime


async def impact(
    principal: Principal,
    *,
    user_id: UUID | None,
    client_id: str | None,
    since: datetime,
    until: datetime,
) -> list[Touch]:
    if (user_id is None) == (client_id is None):
        raise ValidationFailed("Give exactly one of userId or clientId.", field="userId")
    if until <= since:
        raise ValidationFailed("'to' must be after 'from'.", field="to")
    chains = [str(o) for o in _organizations(principal)]
    actor = {"actor_user_id": user_id} if user_id else {"client_id": client_id}
    audited = AuditEvent.filter(
        chain__in=chains, occurred_at__gte=since, occurred_at__lt=until, outcome="OK", **actor
    )
    columns = ("patient_id", "practice_id", "action", "occurred_at")
    # Board reads and live board events are audited per patient shown, so they are here too.
    rows = list(await audited.filter(patient_id__isnull=False).values_list(*columns))
    found: dict[UUID, Touch] = {}
    for patient_id, practice_id, action, at in rows:
        pid = UUID(str(patient_id))
        is_read = str(action).startswith(("READ", "SUBSCRIBE", "EXPORT"))
        old = found.get(pid)
        found[pid] = Touch(
            patient_id=pid,
            practice_id=UUID(str(practice_id)) if practice_id else None,
            reads=(old.reads if old else 0) + int(is_read),
            changes=(old.changes if old else 0) + int(not is_read),
            first_at=min(old.first_at, at) if old else at,
            last_at=max(old.last_at, at) if old else at,
        )
    return sorted(found.values(), key=lambda t: (t.first_at, str(t.patient_id)))
