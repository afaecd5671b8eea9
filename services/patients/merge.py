"""Merging a duplicate record into the one that survives.

The survivor keeps its own values and gains the duplicate's where it has none (re-encrypted for
its own row, since ciphertext is bound to the row). Histories are re-numbered in time order,
appointments, chart entries, perio exams and BPEs, clinical notes, guardian links and
portal accounts move over, and the duplicate stays as a MERGED stub pointing at the
survivor, so old references and the audit trail still resolve.
"""

from __future__ import annotations

from uuid import UUID

from db.models import Patient, PatientStatus
from db.queries import clinical_chart as chart_queries
from db.queries import clinical_notes, guardians, insurance, patient_appointments, portal_accounts
from db.queries import clinical_perio as perio_queries
from db.queries import patients as queries
from db.queries import treatment_plans as plan_queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import tenant_gate
from services.errors import Conflict, ValidationFailed
from services.patients import fields, patient_access
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

_NOT_COPIED = frozenset({"first_name", "last_name", "date_of_birth", "status"})


async def merge_patients(
    principal: Principal, *, survivor_id: UUID, duplicate_id: UUID
) -> tuple[Patient, list[str]]:
    if survivor_id == duplicate_id:
        raise ValidationFailed("A patient cannot be merged into itself.", field="duplicateId")
    survivor = await patient_access.readable_patient(principal, survivor_id)
    duplicate = await patient_access.readable_patient(principal, duplicate_id)
    await patient_access.require(principal, Scope.PATIENT_WRITE, survivor, action="MERGE patient")
    if survivor.practice_id != duplicate.practice_id:
        raise ValidationFailed("Only patients of one practice can be merged.", field="duplicateId")
    pid = tenant_gate.practice_of(survivor)
    async with unit_of_work() as uow:
        conn = uow.connection
        survivor = await queries.locked(pid, survivor_id, conn)
        duplicate = await queries.locked(pid, duplicate_id, conn)
        if PatientStatus.MERGED.value in (survivor.status, duplicate.status):
            raise Conflict("One of these records has already been merged.")
        duplicate.status = PatientStatus.MERGED.value
        duplicate.merged_into_id = survivor.id
        await duplicate.save(using_db=conn, update_fields=["status", "merged_into_id"])
        filled = _fill_gaps(survivor, duplicate)
        moved = await _move_records(pid, survivor, duplicate)
        survivor.last_activity_at = max(survivor.last_activity_at, duplicate.last_activity_at)
        await survivor.save(using_db=conn)
        await _audit(uow, principal, survivor, duplicate, filled + moved)
    return survivor, filled + moved


def _fill_gaps(survivor: Patient, duplicate: Patient) -> list[str]:
    gaps = {
        name: fields.current(duplicate, name)
        for name in fields.RULES
        if name not in _NOT_COPIED and getattr(survivor, name) is None
    }
    filled = fields.apply(survivor, {k: v for k, v in gaps.items() if v is not None}, compare=False)
    if survivor.preferred_practitioner_id is None and duplicate.preferred_practitioner_id:
        survivor.preferred_practitioner_id = duplicate.preferred_practitioner_id
        filled.append("preferredPractitionerId")
    return filled


async def _move_records(pid: PracticeId, survivor: Patient, duplicate: Patient) -> list[str]:
    moved: list[str] = []
    histories = await queries.histories_of(pid, [survivor.id, duplicate.id])
    if any(h.patient_id == duplicate.id for h in histories):
        ordered = sorted(histories, key=lambda h: (h.attested_at, h.created_at, h.version))
        for position, history in enumerate(ordered, start=1):  # negatives dodge the unique key
            await queries.set_history_version(pid, history.id, -position)
        for position, history in enumerate(ordered, start=1):
            await queries.set_history_version(pid, history.id, position, patient_id=survivor.id)
        survivor.has_medical_alert = ordered[-1].has_alert
        moved.append("medicalHistory")
    if await patient_appointments.move(pid, duplicate.id, survivor.id):
        moved.append("appointments")
    # Chart entries keep their times, so the survivor's chart as of any instant holds both.
    if await chart_queries.move_chart(pid, UUID(str(duplicate.id)), UUID(str(survivor.id))):
        moved.append("toothChart")
    moved += await perio_queries.move_to(pid, UUID(str(duplicate.id)), UUID(str(survivor.id)))
    if await plan_queries.move_to_patient(pid, UUID(str(duplicate.id)), UUID(str(survivor.id))):
        moved.append("treatmentPlans")
    # The ciphertext is bound to the note's row and practice, not its patient: nothing re-seals.
    if await clinical_notes.move_to_patient(pid, UUID(str(duplicate.id)), UUID(str(survivor.id))):
        moved.append("clinicalNotes")
    has_own = await insurance.has_arrangement(pid, survivor.id)
    if not has_own and await insurance.move(pid, duplicate.id, survivor.id):
        moved.append("insurance")
    if await _move_links(pid, survivor, duplicate):
        moved.append("guardians")
    await portal_accounts.move(duplicate.id, survivor.id)
    return moved


async def _move_links(pid: PracticeId, survivor: Patient, duplicate: Patient) -> bool:
    links = await guardians.links_touching(pid, duplicate.id)
    existing = {
        (str(link.patient_id), str(link.guardian_id))
        for link in await guardians.links_touching(pid, survivor.id)
    }
    for link in links:
        minor = survivor.id if str(link.patient_id) == str(duplicate.id) else link.patient_id
        guardian = survivor.id if str(link.guardian_id) == str(duplicate.id) else link.guardian_id
        if str(minor) == str(guardian) or (str(minor), str(guardian)) in existing:
            await link.delete()
            continue
        existing.add((str(minor), str(guardian)))
        await guardians.relink(pid, link.id, minor=minor, guardian=guardian)
    return bool(links)


async def _audit(
    uow: UnitOfWork, principal: Principal, survivor: Patient, duplicate: Patient, changed: list[str]
) -> None:
    await record_change(
        uow, principal, survivor, action="MERGE patient", event="PATIENTS_MERGED", changed=changed
    )
    await record_change(
        uow,
        principal,
        duplicate,
        action="MERGE patient (duplicate)",
        event="PATIENT_UPDATED",
        changed=["status", "mergedIntoId"],
    )
