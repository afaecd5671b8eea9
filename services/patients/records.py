"""Creating, reading and rectifying patient records.

Each change runs in one unit of work with its audit record (field names only, never values)
and an outbox event carrying ids only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Protocol
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.models import Patient
from db.outbox import PendingEvent
from db.queries import accounts
from db.queries import patients as queries
from db.tenancy import OrganizationId, PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.auth import portal_age
from services.errors import Conflict, NotFound, ValidationFailed
from services.patients import fields, patient_access
from services.policy import Role, Scope
from services.principal import Principal

STAFF_ROLES = frozenset(r.value for r in Role) - {Role.PATIENT.value, Role.PARTNER.value}
_NUMBER_ATTEMPTS = 5


async def get_patient(principal: Principal, *, patient_id: UUID) -> Patient:
    return await patient_access.readable_patient(principal, patient_id)


async def create_patient(
    principal: Principal, *, practice_id: UUID, values: Mapping[str, Any]
) -> Patient:
    """A new record with the next patient number of the practice."""
    pid = await patient_access.writable_practice(principal, practice_id, action="CREATE patient")
    values = dict(values)
    practitioner = values.pop("preferred_practitioner_id", None)  # checked in the transaction
    cleaned = fields.clean(values)
    for required in ("first_name", "last_name", "date_of_birth"):
        if cleaned.get(required) is None:
            field = fields.camel(required)
            raise ValidationFailed(f"'{field}' is required.", field=field)
    for attempt in range(_NUMBER_ATTEMPTS):
        try:
            return await _insert(principal, pid, cleaned, practitioner)
        except IntegrityError:  # two creates took the same number: take the next one
            if attempt == _NUMBER_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


async def _insert(
    principal: Principal, pid: PracticeId, cleaned: dict[str, Any], practitioner: UUID | None
) -> Patient:
    now = datetime.now(UTC)
    async with unit_of_work() as uow:
        patient = Patient(id=uuid4(), practice_id=pid, last_activity_at=now)
        patient.patient_number = await queries.next_patient_number(pid)
        changed = fields.apply(patient, cleaned, compare=False)
        await _check_nhs_number(patient)
        if practitioner is not None:
            patient.preferred_practitioner_id = str(await _practitioner(pid, practitioner))
            changed.append("preferredPractitionerId")
        await patient.save(using_db=uow.connection)
        await record_change(
            uow,
            principal,
            patient,
            action="CREATE patient",
            event="PATIENT_CREATED",
            changed=changed,
        )
    return patient


async def update_patient(
    principal: Principal, *, patient_id: UUID, values: Mapping[str, Any]
) -> tuple[Patient, list[str]]:
    """Rectification: only the given fields change; returns the names of those that did."""
    values = dict(values)
    practitioner_given = "preferred_practitioner_id" in values
    practitioner = values.pop("preferred_practitioner_id", None)
    patient = await patient_access.readable_patient(principal, patient_id)
    scope = Scope.CLINICAL_WRITE if fields.CLINICAL_FIELDS & set(values) else Scope.PATIENT_WRITE
    await patient_access.require(principal, Scope.PATIENT_WRITE, patient, action="UPDATE patient")
    await patient_access.require(principal, scope, patient, action="UPDATE patient")
    cleaned = fields.clean(values)
    async with unit_of_work() as uow:
        pid = tenant_gate.practice_of(patient)
        patient = await queries.locked(pid, patient.id, uow.connection)
        changed = fields.apply(patient, cleaned, compare=True)
        if "nhsNumber" in changed:
            await _check_nhs_number(patient)
        if practitioner_given:
            new = None if practitioner is None else await _practitioner(pid, practitioner)
            if str(new or "") != str(patient.preferred_practitioner_id or ""):
                patient.preferred_practitioner_id = None if new is None else str(new)
                changed.append("preferredPractitionerId")
        if changed:
            patient.last_activity_at = datetime.now(UTC)
            await patient.save(using_db=uow.connection)
            if "dateOfBirth" in changed:  # a corrected age may end a portal login
                for record in await portal_age.enforce(principal, patient, uow.connection):
                    uow.audit(record)
            await record_change(
                uow,
                principal,
                patient,
                action="UPDATE patient",
                event="PATIENT_UPDATED",
                changed=changed,
            )
    return patient, changed


async def _check_nhs_number(patient: Patient) -> None:
    if patient.nhs_number_index is None:
        return
    holder = await queries.nhs_number_holder(
        tenant_gate.practice_of(patient),
        patient.nhs_number_index,
        exclude=patient.id,
    )
    if holder is not None:
        raise Conflict(
            "Another patient of this practice has this NHS number; merge the records instead.",
            field="nhsNumber",
        )


async def _practitioner(practice_id: PracticeId, user_id: UUID) -> UUID:
    """A staff member of the same practice, else NOT_FOUND (never reveals other practices)."""
    if not await accounts.holds_role_in(practice_id, user_id, STAFF_ROLES):
        raise NotFound("Practitioner")
    return user_id


async def organization_id(principal: Principal, practice_id: PracticeId) -> OrganizationId:
    return await patient_access.organization_of(principal, practice_id)


class PatientRecordRow(Protocol):
    """A row of a patient's record: its own id, its practice and its patient."""

    id: Any
    practice_id: Any
    patient_id: Any


async def record_change(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient | PatientRecordRow,
    *,
    action: str,
    event: str,
    changed: list[str],
    entity_type: str = "Patient",
    entity_id: object = None,
    topic: str = "patients",
    patient_stream: bool = False,
    payload: Mapping[str, Any] | None = None,
) -> None:
    """Audit (field names only) and an ids-only event, in the caller's unit of work.

    ``patient``: the patient, or a row of their record (a plan, a photo series) whose
    ``patient_id`` names them. ``topic``/``patient_stream``: clinical changes go on the
    patient's own clinical stream (``clinicalChartChanged`` resumes on it); the default is the
    practice's patient topic. ``payload``: codes and numbers only, never free text.
    """
    pid = tenant_gate.practice_of(patient)
    patient_id = UUID(str(patient.id if isinstance(patient, Patient) else patient.patient_id))
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type=entity_type,
            entity_id=entity_id or patient.id,
            patient_id=patient_id,
            fields=sorted(changed),
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=await organization_id(principal, pid),
            practice_id=pid,
            topic=topic,
            type=event,
            entity_id=UUID(str(entity_id or patient.id)),
            patient_id=patient_id,
            payload=actors.stamped(dict(payload or {}), principal),
            patient_stream=patient_stream,
        )
    )
