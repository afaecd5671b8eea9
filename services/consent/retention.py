"""``aescrm retention``: find what is past its retention period and anonymise it.

The dry run lists and changes nothing. ``apply`` handles each patient in its own transaction
(one patient's failure cannot leave another half done) and writes what it did to the audit log.
Patients under a legal hold (their own, or their practice's) are skipped and listed as held.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from uuid import UUID

from db import wal
from db.models import Patient
from db.models.privacy import RecordClass
from db.queries import legal_holds, patient_links, privacy_requests
from db.queries import patients as patient_queries
from db.queries import retention as queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.auth.users import OPERATOR
from services.consent import anonymise, erasure_events, policies
from services.documents import library
from services.principal import Principal


@dataclass(frozen=True, slots=True)
class Action:
    patient_id: UUID
    practice_id: UUID
    record_class: RecordClass
    due_since: date
    basis: str


@dataclass(slots=True)
class Report:
    actions: list[Action] = field(default_factory=list)
    held: list[UUID] = field(default_factory=list)
    applied: bool = False

    def lines(self) -> list[str]:
        verb = "anonymised" if self.applied else "would anonymise"
        out = [
            f"{verb} {a.record_class.value} of patient {a.patient_id} "
            f"(practice {a.practice_id}, due {a.due_since.isoformat()}: {a.basis})"
            for a in self.actions
        ]
        out += [f"held: patient {p} (legal hold)" for p in self.held]
        out.append(f"{len(self.actions)} actions, {len(self.held)} patients held")
        return out


async def pending(patient: Patient, cls: RecordClass) -> bool:
    """Anything left to do for this class (repeat runs do nothing)."""
    if cls is RecordClass.CLINICAL:
        return not anonymise.is_anonymised(patient)
    if cls is RecordClass.ACCOUNT_CONTACT:
        return not anonymise.contact_erased(patient)
    for link in anonymise.links_in(anonymise.Category.FINANCIAL):
        if await patient_links.any_rows(link.model, link.column, patient.id):
            return True
    return False


async def _held(today: date) -> tuple[set[UUID], set[UUID]]:
    rows = await legal_holds.in_force_everywhere(today)
    practices = {UUID(str(h.practice_id)) for h in rows if h.patient_id is None}
    patients = {UUID(str(h.patient_id)) for h in rows if h.patient_id is not None}
    return practices, patients


async def plan(
    today: date | None = None, *, on_progress: Callable[[int, int], None] | None = None
) -> Report:
    today = today or datetime.now(UTC).date()
    table = await policies.table()
    practices = {p.id: p for p in await queries.every_practice()}
    held_practices, held_patients = await _held(today)
    report = Report()
    patients = await queries.patients_to_check()
    for checked, patient in enumerate(patients, start=1):
        if on_progress is not None:
            on_progress(checked, len(patients))
        practice = practices[UUID(str(patient.practice_id))]
        if practice.id in held_practices or patient.id in held_patients:
            report.held.append(patient.id)
            continue
        dates = await policies.dates_for(patient, practice.jurisdiction, table)
        for cls in (RecordClass.FINANCIAL, RecordClass.ACCOUNT_CONTACT, RecordClass.CLINICAL):
            due = dates.by_class[cls]
            if due is not None and due[0] < today and await pending(patient, cls):
                report.actions.append(Action(patient.id, practice.id, cls, due[0], due[1]))
    return report


async def _apply_one(principal: Principal, patient_id: UUID, actions: list[Action]) -> None:
    shredded: list[str] = []
    async with unit_of_work() as uow:
        conn = uow.connection
        pid = tenant_gate.practice_of(actions[0])
        patient = await patient_queries.locked(pid, patient_id, conn)
        for action in actions:
            if action.record_class is RecordClass.FINANCIAL:
                await anonymise.erase_financial(patient, conn)
            elif action.record_class is RecordClass.ACCOUNT_CONTACT:
                await anonymise.erase_contact(patient, conn)
            else:
                await anonymise.erase_contact(patient, conn)
                shredded += await anonymise.anonymise_clinical(patient, conn)
            uow.audit(
                audit.record_for(
                    principal,
                    action=f"RETENTION {action.record_class.value}",
                    practice_id=action.practice_id,
                    entity_type="Patient",
                    entity_id=patient.id,
                    patient_id=patient.id,
                    fields=[action.basis, action.due_since.isoformat()],
                )
            )
        await erasure_events.record_erasure(
            uow,
            principal,
            patient,
            anonymised=any(a.record_class is RecordClass.CLINICAL for a in actions),
            categories={a.record_class.value for a in actions},
        )
        if any(a.record_class is RecordClass.CLINICAL for a in actions):
            await privacy_requests.complete_partial_erasures(
                pid, patient.id, datetime.now(UTC), conn
            )
    await library.discard(shredded)


async def run(
    *,
    apply: bool,
    today: date | None = None,
    principal: Principal = OPERATOR,
    on_progress: Callable[[int, int], None] | None = None,
) -> Report:
    """``on_progress(done, total)`` is told after each patient is checked, then applied."""
    report = await plan(today, on_progress=on_progress)
    if not apply:
        return report
    by_patient: dict[UUID, list[Action]] = {}
    for action in report.actions:
        by_patient.setdefault(action.patient_id, []).append(action)
    for done, (patient_id, actions) in enumerate(by_patient.items(), start=1):
        await _apply_one(principal, patient_id, actions)
        if on_progress is not None:
            on_progress(done, len(by_patient))
    if by_patient:
        await wal.checkpoint_after_erasure()
    report.applied = True
    return report
