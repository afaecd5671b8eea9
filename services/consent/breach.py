"""Breach response: the incident register and who a suspect principal touched.

The ICO must be told within 72 hours of the practice becoming aware, so each incident shows its
deadline. ``impact`` lists every patient a user or partner client read or changed in a window,
straight from the audit log (reads are audited per request, changes per transaction).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

from db.models import BreachIncident
from db.queries import audit as audit_queries
from db.queries import incidents as incident_queries
from db.queries import messages as message_queries
from db.tenancy import OrganizationId, PracticeId
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.messaging import legal_notices
from services.principal import Principal

REPORTING_WINDOW = timedelta(hours=72)


def deadline(incident: BreachIncident) -> datetime:
    return incident.detected_at + REPORTING_WINDOW


@dataclass(frozen=True, slots=True)
class Reach:
    """Whole organizations (an organization role with audit:read) and single practices (a
    practice role with audit:read). Practices of one organization are separate tenants for a
    practice-level role, so its reach is its practices, never their organization."""

    organizations: frozenset[OrganizationId]
    practices: frozenset[PracticeId]

    def organization_ids(self, principal: Principal) -> set[OrganizationId]:
        """Organizations an incident may be filed under: reached whole or through a practice."""
        found = set(self.organizations)
        for practice_id in self.practices:
            org = principal.organization_of(practice_id)
            if org is not None:
                found.add(org)
        return found


def _reach(principal: Principal) -> Reach:
    organizations, practices = audit.audit_reach(principal)
    if not (organizations or practices) or principal.client_id or principal.is_patient:
        raise PolicyDenied("You may not handle breach incidents.")
    return Reach(frozenset(organizations), frozenset(practices))


async def _known_subject(reach: Reach, *, user_id: UUID | None, client_id: str | None) -> None:
    """A subject outside the caller's reach answers exactly like one that does not exist."""
    if user_id is not None and not await audit_queries.knows_actor(
        reach.organizations, reach.practices, user_id=user_id
    ):
        raise NotFound("User")
    if client_id is not None and not await audit_queries.knows_actor(
        reach.organizations, reach.practices, client_id=client_id
    ):
        raise NotFound("Client")


async def record_incident(
    principal: Principal,
    *,
    organization_id: UUID,
    title: str,
    description: str,
    detected_at: datetime,
    subject_user_id: UUID | None = None,
    subject_client_id: str | None = None,
    practice_id: UUID | None = None,
) -> BreachIncident:
    reach = _reach(principal)
    organization = tenant_gate.organization_among(
        reach.organization_ids(principal), organization_id
    )
    scoped = _incident_practice(principal, reach, organization, practice_id)
    if not title.strip() or len(title) > 200:
        raise ValidationFailed("Give a title (1-200 characters).", field="title")
    if detected_at > datetime.now(UTC):
        raise ValidationFailed("Detection cannot be in the future.", field="detectedAt")
    await _known_subject(reach, user_id=subject_user_id, client_id=subject_client_id)
    async with unit_of_work() as uow:
        row = BreachIncident(
            id=uuid4(),
            organization_id=organization_id,
            practice_id=scoped,
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
                practice_id=scoped,
                entity_type="BreachIncident",
                entity_id=row.id,
            )
        )
    return row


def _incident_practice(
    principal: Principal, reach: Reach, organization: OrganizationId, practice_id: UUID | None
) -> PracticeId | None:
    """The practice an incident is filed under: one of the caller's in that organisation, or
    none (the whole organisation) for an organisation admin."""
    mine = sorted(p for p in reach.practices if principal.organization_of(p) == organization)
    if practice_id is not None:
        return tenant_gate.practice_among(mine, practice_id)
    if organization in reach.organizations:
        return None
    if len(mine) != 1:
        raise ValidationFailed("Name the practice the breach concerns.", field="practiceId")
    return mine[0]


async def mark_reported(principal: Principal, *, incident_id: UUID, at: datetime) -> BreachIncident:
    reach = _reach(principal)
    row = await incident_queries.incident(reach.organizations, reach.practices, incident_id)
    if row is None:
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
    """Organisation admins see their organisations' register; a practice-level role only the
    incidents filed under its practices."""
    reach = _reach(principal)
    return await incident_queries.incidents(reach.organizations, reach.practices, limit=first)


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
    reach = _reach(principal)  # an actor outside it has no rows here: [] like a random id
    # Board reads name every patient shown (live board events: a row each), so they are here too.
    rows = await audit_queries.actions_of(
        reach.organizations,
        reach.practices,
        user_id=user_id,
        client_id=client_id,
        since=since,
        until=until,
    )
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


async def notify_patients(
    principal: Principal, *, incident_id: UUID, since: datetime, until: datetime
) -> int:
    """Queue the breach notice (Art. 34) for every patient the incident's actor touched in the
    window; each patient is told once per incident however often this runs."""
    reach = _reach(principal)
    row = await incident_queries.incident(reach.organizations, reach.practices, incident_id)
    if row is None:
        raise NotFound("Incident")
    touched = await impact(
        principal,
        user_id=row.subject_user_id,
        client_id=row.subject_client_id,
        since=since,
        until=until,
    )
    queued = 0
    async with unit_of_work() as uow:
        for touch in touched:
            if touch.practice_id is None:
                continue
            patient = await message_queries.patient_in(
                touch.practice_id, touch.patient_id, uow.connection
            )
            if patient is not None and await legal_notices.breach_notice(
                uow.connection, patient, row.id, row.detected_at
            ):
                queued += 1
        uow.audit(
            audit.record_for(
                principal,
                action="NOTIFY breach patients",
                organization_id=UUID(str(row.organization_id)),
                entity_type="BreachIncident",
                entity_id=row.id,
                fields=[f"{queued} notices"],
            )
        )
    return queued
