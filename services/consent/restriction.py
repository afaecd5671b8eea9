"""Restriction (Art. 18) and objection (Art. 21): rows in force until lifted.

A restriction keeps the record for the patient's own care only: no marketing, no partner
access on any path (``services.visibility``), no analytics. An objection stops marketing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from uuid import UUID, uuid4

from db.models import Patient, ProcessingRestriction
from db.models.privacy import RestrictionKind
from db.queries import consent as queries
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.consent import privacy_access
from services.errors import ValidationFailed
from services.policy import Scope
from services.principal import Principal


async def place_in(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    *,
    kind: RestrictionKind,
    reason: str,
    request_id: UUID | None = None,
) -> ProcessingRestriction:
    """Inside the caller's unit of work (an erasure restricts in its own transaction)."""
    row = ProcessingRestriction(
        id=uuid4(),
        practice_id=patient.practice_id,
        patient_id=patient.id,
        kind=kind.value,
        reason=reason,
        request_id=request_id,
        placed_by_user_id=principal.user_id,
    )
    await row.save(using_db=uow.connection)
    uow.audit(
        audit.record_for(
            principal,
            action=f"PLACE {kind.value.lower()}",
            practice_id=tenant_gate.practice_of(patient),
            entity_type="ProcessingRestriction",
            entity_id=row.id,
            patient_id=patient.id,
            fields=[kind.value],
        )
    )
    return row


async def place(
    principal: Principal, *, patient_id: UUID, kind: RestrictionKind, reason: str
) -> ProcessingRestriction:
    if principal.is_patient and kind is RestrictionKind.OBJECTION:
        patient = await privacy_access.readable(
            principal, patient_id
        )  # objecting needs no one's leave
    else:
        patient = await privacy_access.staff_with(
            principal, Scope.CONSENT_WRITE, patient_id, action=f"PLACE {kind.value.lower()}"
        )
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise ValidationFailed("Give a reason (1-300 characters).", field="reason")
    async with unit_of_work() as uow:
        return await place_in(uow, principal, patient, kind=kind, reason=reason)


async def lift(principal: Principal, *, restriction_id: UUID) -> ProcessingRestriction:
    """Staff lift restrictions (after telling the patient, Art. 18(3)); a patient may withdraw
    their own objection, as freely as they made it."""
    row, patient = await privacy_access.patient_row(
        principal,
        ProcessingRestriction,
        restriction_id,
        entity="Restriction",
        lifted_at__isnull=True,
    )
    if not (principal.is_patient and row.kind == RestrictionKind.OBJECTION.value):
        await privacy_access.require_staff(
            principal, Scope.CONSENT_WRITE, patient, action="LIFT restriction"
        )
    async with unit_of_work() as uow:
        row.lifted_at = datetime.now(UTC)
        row.lifted_by_user_id = principal.user_id
        await row.save(using_db=uow.connection, update_fields=["lifted_at", "lifted_by_user_id"])
        uow.audit(
            audit.record_for(
                principal,
                action="LIFT restriction",
                practice_id=tenant_gate.practice_of(patient),
                entity_type="ProcessingRestriction",
                entity_id=row.id,
                patient_id=patient.id,
                fields=[row.kind],
            )
        )
    return row


async def in_force(
    principal: Principal, *, patient_id: UUID
) -> tuple[Patient, list[ProcessingRestriction]]:
    """The patient (for the caller's read audit) and what is in force on their data."""
    patient = await privacy_access.readable(principal, patient_id)
    return patient, await queries.restrictions_in_force(patient.id)
