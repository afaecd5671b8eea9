"""Treatment plans: what is proposed to a patient, what they signed, and what has been done.

A plan is a series of versions. Only a PROPOSED version is edited; accepting one freezes it (a
JSON snapshot, encrypted, with its SHA-256), records the patient's typed name and signature image
(a SIGNATURE document) and the witnessing user, and appends a TREATMENT grant to the consent
ledger naming the plan. A change after that proposes a new version and marks the signed one
SUPERSEDED, so what the patient agreed to is always readable as they agreed to it.

Completing an item records the COMPLETED procedure on the tooth chart (replacing a live PLANNED
entry for the same procedure and tooth when there is one) in the same unit of work, moves the
recall the catalogue item names, and leaves the item "completed, not invoiced" for billing.

Reading needs clinical:read in the patient's practice, changing clinical:write; the patient is
found through ``patient_access`` so another practice's plan answers like a random id.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import Patient, ProcedureItem, TreatmentPlan, TreatmentPlanItem
from db.outbox import PendingEvent
from db.queries import clinical_chart as chart_queries
from db.queries import treatment_plans as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate, visibility
from services.billing import fees
from services.clinical import catalogue, chart, teeth
from services.clinical.catalogue import MAX_FEE_PENCE, RecallEffect
from services.clinical.teeth import Notation
from services.consent import ledger
from services.documents import library, signatures
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import organization_id
from services.policy import Scope
from services.principal import Principal
from services.scheduling import recalls
from services.scheduling.diary_access import diary_of

TOPIC = "clinical"
MAX_PHASE = 20
MAX_ITEMS = 200
POLICY_VERSION = "treatment-plan"


class PlanStatus(StrEnum):
    PROPOSED = "PROPOSED"
    ACCEPTED = "ACCEPTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    DECLINED = "DECLINED"
    SUPERSEDED = "SUPERSEDED"


# Every move a plan version can make; anything else is CONFLICT.
TRANSITIONS: dict[PlanStatus, frozenset[PlanStatus]] = {
    PlanStatus.PROPOSED: frozenset({PlanStatus.ACCEPTED, PlanStatus.DECLINED}),
    PlanStatus.ACCEPTED: frozenset(
        {PlanStatus.IN_PROGRESS, PlanStatus.COMPLETED, PlanStatus.SUPERSEDED}
    ),
    PlanStatus.IN_PROGRESS: frozenset({PlanStatus.COMPLETED, PlanStatus.SUPERSEDED}),
    PlanStatus.DECLINED: frozenset({PlanStatus.SUPERSEDED}),
    PlanStatus.COMPLETED: frozenset(),
    PlanStatus.SUPERSEDED: frozenset(),
}


def check_move(current: str, to: PlanStatus) -> None:
    if to not in TRANSITIONS[PlanStatus(current)]:
        raise Conflict(f"A {current} plan cannot become {to.value}.", field="status")


@dataclass(frozen=True, slots=True)
class PlanView:
    """One plan version with its items (phase, position order)."""

    plan: TreatmentPlan
    items: list[TreatmentPlanItem]
    procedure_names: dict[UUID, str]


@dataclass(frozen=True, slots=True)
class NewItem:
    code: str
    tooth: str | None = None
    surfaces: str = ""
    phase: int = 1
    fee_pence: int | None = None  # default: the fee schedule's today, else the catalogue's
    notation: Notation | None = None


@dataclass(frozen=True, slots=True)
class ItemChange:
    """On update, ``None`` leaves a value as it is."""

    tooth: str | None = None
    surfaces: str | None = None
    phase: int | None = None
    fee_pence: int | None = None
    notation: Notation | None = None


@dataclass(frozen=True, slots=True)
class Acceptance:
    signed_name: str
    signature_base64: str
    signature_content_type: str


async def _found(
    principal: Principal, plan_id: UUID, scope: Scope, action: str, number: int | None = None
) -> tuple[TreatmentPlan, Patient]:
    found = await queries.version(principal.practices_with(Scope.PATIENT_READ), plan_id, number)
    if found is None:
        raise NotFound("Treatment plan")
    try:
        patient = await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), scope, action=action
        )
    except NotFound:  # a patient this principal may not see: exactly like a random plan id
        raise NotFound("Treatment plan") from None
    return found, patient


async def _view(plans: Sequence[TreatmentPlan]) -> list[PlanView]:
    items = await queries.items_of([UUID(str(p.id)) for p in plans])
    by_version: dict[str, list[TreatmentPlanItem]] = {}
    for item in items:
        by_version.setdefault(str(item.plan_version_id), []).append(item)
    names: dict[UUID, str] = {}
    if plans:
        pids = {tenant_gate.practice_of(p) for p in plans}
        ids = {UUID(str(i.procedure_id)) for i in items}
        names = {k: p.name for k, p in (await chart_queries.procedures_by_id(pids, ids)).items()}
    return [PlanView(p, by_version.get(str(p.id), []), names) for p in plans]


async def plans_of(principal: Principal, *, patient_id: UUID) -> list[PlanView]:
    """The newest version of each of the patient's plans."""
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ treatment_plan"
    )
    pid = tenant_gate.practice_of(patient)
    return await _view(await queries.latest_of_patient({pid}, UUID(str(patient.id))))


async def plan(principal: Principal, *, plan_id: UUID, version: int | None = None) -> PlanView:
    found, _ = await _found(principal, plan_id, Scope.CLINICAL_READ, "READ treatment_plan", version)
    return (await _view([found]))[0]


async def _changed(
    uow: UnitOfWork,
    principal: Principal,
    plan: TreatmentPlan,
    action: str,
    fields: list[str],
) -> None:
    """Audit (field names only) and an ids-only event, in the caller's unit of work."""
    pid = tenant_gate.practice_of(plan)
    patient_id = UUID(str(plan.patient_id))
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type="TreatmentPlan",
            entity_id=plan.id,
            patient_id=patient_id,
            fields=fields,
        )
    )
    uow.emit(
        PendingEvent(
            organization_id=await organization_id(principal, pid),
            practice_id=pid,
            topic=TOPIC,
            type="TREATMENT_PLAN_CHANGED",
            entity_id=UUID(str(plan.plan_id)),
            patient_id=patient_id,
            payload=actors.stamped({"version": plan.version, "status": plan.status}, principal),
        )
    )


async def create(principal: Principal, *, patient_id: UUID) -> PlanView:
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_WRITE, action="CREATE treatment_plan"
    )
    new_id = uuid4()
    row = TreatmentPlan(
        id=new_id,
        practice_id=tenant_gate.practice_of(patient),
        patient_id=patient.id,
        plan_id=new_id,
        version=1,
        status=PlanStatus.PROPOSED.value,
        created_by_user_id=principal.user_id,
    )
    async with unit_of_work() as uow:
        await row.save(using_db=uow.connection)
        await _changed(uow, principal, row, "CREATE treatment_plan", ["treatmentPlans"])
    return PlanView(row, [], {})


def _fee(value: int | None, default: int) -> int:
    fee = default if value is None else value
    if not 0 <= fee <= MAX_FEE_PENCE:
        raise ValidationFailed(f"A fee is 0 to {MAX_FEE_PENCE} pence.", field="feePence")
    return fee


async def _quoted_fee(pid: PracticeId, procedure: ProcedureItem) -> int:
    """A new item's fee when none is given: the private fee in the practice's schedule in force
    today (its own day), else the catalogue's default fee. The accepted plan then freezes it:
    an item is billed at the fee the patient agreed to, whatever the schedule says later."""
    today = datetime.now(UTC).astimezone((await diary_of(pid)).zone).date()
    try:
        price = await fees.price_of(pid, procedure_code=procedure.code, on=today)
    except NotFound:
        return int(procedure.default_fee_pence)
    return price.unit.minor if price.unit.currency == "GBP" else int(procedure.default_fee_pence)


def _phase(value: int) -> int:
    if not 1 <= value <= MAX_PHASE:
        raise ValidationFailed(f"A phase is 1 to {MAX_PHASE}.", field="phase")
    return value


async def _placed(
    principal: Principal,
    pid: PracticeId,
    procedure: ProcedureItem,
    tooth_text: str | None,
    surfaces_text: str,
    notation: Notation | None,
) -> tuple[int | None, str]:
    """The tooth (FDI) and canonical surfaces, checked by ``teeth`` and the item's rules."""
    written = await chart.notation_of(principal, notation)
    tooth = None if tooth_text in (None, "") else teeth.parse(str(tooth_text), written)
    if tooth is None and surfaces_text.strip():
        raise ValidationFailed("Surfaces need a tooth.", field="surfaces")
    surfaces = "" if tooth is None else teeth.surfaces(tooth, surfaces_text)
    catalogue.check_tooth(procedure, tooth, surfaces)
    return (None if tooth is None else tooth.fdi), surfaces


async def _editable(uow: UnitOfWork, plan: TreatmentPlan) -> TreatmentPlan:
    """The version locked and still PROPOSED (an accepted plan changes by a new version)."""
    locked = await queries.version_by_id(
        tenant_gate.practice_of(plan), UUID(str(plan.id)), uow.connection
    )
    if locked.status != PlanStatus.PROPOSED.value:
        raise Conflict(
            f"A {locked.status} plan is not edited; propose a new version.", field="planId"
        )
    return locked


async def add_item(principal: Principal, *, plan_id: UUID, new: NewItem) -> PlanView:
    found, _ = await _found(principal, plan_id, Scope.CLINICAL_WRITE, "UPDATE treatment_plan")
    pid = tenant_gate.practice_of(found)
    code = (v.text(new.code, "code", max_length=32, required=True) or "").upper()
    procedure = await chart_queries.procedure_by_code(pid, code)
    if procedure is None or procedure.archived:
        raise ValidationFailed("No such procedure in this practice's catalogue.", field="code")
    tooth, surfaces = await _placed(
        principal, pid, procedure, new.tooth, new.surfaces, new.notation
    )
    phase = _phase(new.phase)
    fee = _fee(new.fee_pence, await _quoted_fee(pid, procedure))
    async with unit_of_work() as uow:
        locked = await _editable(uow, found)
        position = await queries.next_position(UUID(str(locked.id)), uow.connection)
        if position >= MAX_ITEMS:
            raise ValidationFailed(f"A plan has at most {MAX_ITEMS} items.", field="code")
        await TreatmentPlanItem(
            id=uuid4(),
            practice_id=pid,
            patient_id=locked.patient_id,
            plan_version_id=locked.id,
            phase=phase,
            position=position,
            procedure_id=procedure.id,
            code=code,
            tooth=tooth,
            surfaces=surfaces,
            fee_pence=fee,
            nhs_band=procedure.nhs_band,
        ).save(using_db=uow.connection)
        await _changed(uow, principal, locked, "UPDATE treatment_plan", ["items"])
    return (await _view([locked]))[0]


async def _item_plan(
    principal: Principal, item_id: UUID, action: str
) -> tuple[TreatmentPlanItem, TreatmentPlan]:
    found = await queries.item(principal.practices_with(Scope.PATIENT_READ), item_id)
    if found is None:
        raise NotFound("Treatment plan item")
    try:
        await patient_access.clinical_patient(
            principal, UUID(str(found.patient_id)), Scope.CLINICAL_WRITE, action=action
        )
    except NotFound:  # a patient this principal may not see: exactly like a random item id
        raise NotFound("Treatment plan item") from None
    pid = tenant_gate.practice_of(found)
    plan_row = await queries.version_row(pid, UUID(str(found.plan_version_id)))
    assert plan_row is not None  # items are never moved between plans
    return found, plan_row


async def update_item(principal: Principal, *, item_id: UUID, change: ItemChange) -> PlanView:
    item, plan_row = await _item_plan(principal, item_id, "UPDATE treatment_plan")
    pid = tenant_gate.practice_of(item)
    procedures = await chart_queries.procedures_by_id({pid}, {UUID(str(item.procedure_id))})
    procedure = procedures[UUID(str(item.procedure_id))]
    changed: list[str] = []
    if change.tooth is not None or change.surfaces is not None or change.notation is not None:
        tooth_text = change.tooth
        if tooth_text is None and item.tooth is not None:
            tooth_text = teeth.to_notation(
                teeth.tooth(item.tooth), await chart.notation_of(principal, change.notation)
            )
        surfaces_text = item.surfaces if change.surfaces is None else change.surfaces
        item.tooth, item.surfaces = await _placed(
            principal, pid, procedure, tooth_text, surfaces_text, change.notation
        )
        changed += ["tooth", "surfaces"]
    if change.phase is not None:
        item.phase = _phase(change.phase)
        changed.append("phase")
    if change.fee_pence is not None:
        item.fee_pence = _fee(change.fee_pence, procedure.default_fee_pence)
        changed.append("feePence")
    async with unit_of_work() as uow:
        locked = await _editable(uow, plan_row)
        if changed:
            await item.save(
                using_db=uow.connection, update_fields=["tooth", "surfaces", "phase", "fee_pence"]
            )
            await _changed(uow, principal, locked, "UPDATE treatment_plan", ["items"])
    return (await _view([locked]))[0]


async def remove_item(principal: Principal, *, item_id: UUID) -> PlanView:
    item, plan_row = await _item_plan(principal, item_id, "UPDATE treatment_plan")
    async with unit_of_work() as uow:
        locked = await _editable(uow, plan_row)
        await item.delete(using_db=uow.connection)  # never signed: a proposal's draft line
        await _changed(uow, principal, locked, "UPDATE treatment_plan", ["items"])
    return (await _view([locked]))[0]


async def propose_new_version(principal: Principal, *, plan_id: UUID) -> PlanView:
    """A new PROPOSED version with the items not yet done; the old one becomes SUPERSEDED."""
    found, _ = await _found(principal, plan_id, Scope.CLINICAL_WRITE, "UPDATE treatment_plan")
    async with unit_of_work() as uow:
        old = await queries.version_by_id(
            tenant_gate.practice_of(found), UUID(str(found.id)), uow.connection
        )
        latest = await queries.version(
            {tenant_gate.practice_of(found)}, plan_id, connection=uow.connection
        )
        if latest is None or str(latest.id) != str(old.id):
            raise Conflict("A newer version of this plan exists.", field="planId")
        check_move(old.status, PlanStatus.SUPERSEDED)
        now = datetime.now(UTC)
        old.status = PlanStatus.SUPERSEDED.value
        old.superseded_at = now
        await old.save(using_db=uow.connection, update_fields=["status", "superseded_at"])
        new = TreatmentPlan(
            id=uuid4(),
            practice_id=old.practice_id,
            patient_id=old.patient_id,
            plan_id=old.plan_id,
            version=old.version + 1,
            status=PlanStatus.PROPOSED.value,
            created_by_user_id=principal.user_id,
        )
        await new.save(using_db=uow.connection)
        copies = [
            TreatmentPlanItem(
                id=uuid4(),
                practice_id=i.practice_id,
                patient_id=i.patient_id,
                plan_version_id=new.id,
                phase=i.phase,
                position=n,
                procedure_id=i.procedure_id,
                code=i.code,
                tooth=i.tooth,
                surfaces=i.surfaces,
                fee_pence=i.fee_pence,
                nhs_band=i.nhs_band,
            )
            for n, i in enumerate(
                x
                for x in await queries.items_of([UUID(str(old.id))], uow.connection)
                if x.completed_at is None
            )
        ]
        for copy in copies:
            await copy.save(using_db=uow.connection)
        await _changed(uow, principal, old, "SUPERSEDE treatment_plan", ["status"])
        await _changed(uow, principal, new, "CREATE treatment_plan_version", ["items"])
    return (await _view([new]))[0]


def snapshot_of(plan: TreatmentPlan, items: Sequence[TreatmentPlanItem]) -> dict[str, object]:
    """The signed plan as plain data: what the patient agreed to, item by item."""
    return {
        "planId": str(plan.plan_id),
        "version": plan.version,
        "patientId": str(plan.patient_id),
        "items": [
            {
                "id": str(i.id),
                "phase": i.phase,
                "code": i.code,
                "toothFdi": i.tooth,
                "surfaces": i.surfaces,
                "feePence": i.fee_pence,
                "nhsBand": i.nhs_band,
            }
            for i in items
        ],
        "totalPence": sum(i.fee_pence for i in items),
    }


def _canonical(value: dict[str, object]) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


async def accept(principal: Principal, *, plan_id: UUID, acceptance: Acceptance) -> PlanView:
    """Everything that can be refused is checked first; the signature's sealed blob is then
    written, and its document row, the plan's acceptance, snapshot, consent row, audit rows and
    events commit in one unit of work (the blob is removed if that does not commit)."""
    found, patient = await _found(principal, plan_id, Scope.CLINICAL_WRITE, "ACCEPT treatment_plan")
    check_move(found.status, PlanStatus.ACCEPTED)
    signed_name = v.text(acceptance.signed_name, "signedName", max_length=200, required=True)
    signature = signatures.decode(acceptance.signature_base64, acceptance.signature_content_type)
    if not await queries.items_of([UUID(str(found.id))]):
        raise Conflict("A plan with no items cannot be accepted.", field="planId")
    staged = await signatures.stage(
        principal,
        patient,
        signature,
        title=f"Treatment plan signature (version {found.version})",
        field="signatureBase64",
    )
    try:
        async with unit_of_work() as uow:
            locked = await _signed(uow, principal, found, patient, staged, signed_name or "")
    except BaseException:
        await library.unstage(staged)
        raise
    return (await _view([locked]))[0]


async def _signed(
    uow: UnitOfWork,
    principal: Principal,
    found: TreatmentPlan,
    patient: Patient,
    staged: library.Staged,
    signed_name: str,
) -> TreatmentPlan:
    locked = await queries.version_by_id(
        tenant_gate.practice_of(found), UUID(str(found.id)), uow.connection
    )
    check_move(locked.status, PlanStatus.ACCEPTED)  # again, under the lock
    await library.save_in(uow, principal, staged)
    items = await queries.items_of([UUID(str(locked.id))], uow.connection)
    now = datetime.now(UTC)
    frozen = _canonical(snapshot_of(locked, items))
    consent = await ledger.treatment_accepted_in(
        uow,
        principal,
        patient,
        treatment_id=UUID(str(locked.plan_id)),
        policy_version=f"{POLICY_VERSION}-v{locked.version}",
        evidence_ref=f"document:{staged.document.id}",
        effective_at=now,
    )
    locked.status = PlanStatus.ACCEPTED.value
    locked.accepted_at = now
    locked.signed_name = sealing.seal(locked, "signed_name", signed_name)
    locked.signature_document_id = staged.document.id
    locked.witness_user_id = principal.user_id
    locked.consent_record_id = consent.id
    locked.snapshot = sealing.seal(locked, "snapshot", frozen)
    locked.snapshot_sha256 = hashlib.sha256(frozen.encode()).hexdigest()
    await locked.save(using_db=uow.connection)
    await _changed(uow, principal, locked, "ACCEPT treatment_plan", ["status", "signature"])
    return locked


async def decline(principal: Principal, *, plan_id: UUID) -> PlanView:
    found, _ = await _found(principal, plan_id, Scope.CLINICAL_WRITE, "DECLINE treatment_plan")
    async with unit_of_work() as uow:
        locked = await queries.version_by_id(
            tenant_gate.practice_of(found), UUID(str(found.id)), uow.connection
        )
        check_move(locked.status, PlanStatus.DECLINED)
        locked.status = PlanStatus.DECLINED.value
        locked.declined_at = datetime.now(UTC)
        await locked.save(using_db=uow.connection, update_fields=["status", "declined_at"])
        await _changed(uow, principal, locked, "DECLINE treatment_plan", ["status"])
    return (await _view([locked]))[0]


async def _planned_entry(patient: Patient, item: TreatmentPlanItem) -> UUID | None:
    """A live PLANNED chart entry for the same procedure, tooth and surfaces, if any."""
    pid = tenant_gate.practice_of(patient)
    now = datetime.now(UTC)
    rows = await chart_queries.entries_until({pid}, UUID(str(patient.id)), now)
    for state in chart.state_at(rows, now, include_voided=False):
        entry = state.entry
        if (
            state.status is chart.EntryStatus.PLANNED
            and entry.code == item.code
            and entry.tooth == item.tooth
            and entry.surfaces == item.surfaces
        ):
            return UUID(str(entry.id))
    return None


async def complete_item(principal: Principal, *, item_id: UUID) -> PlanView:
    item, plan_row = await _item_plan(principal, item_id, "COMPLETE treatment_plan_item")
    if plan_row.status not in (PlanStatus.ACCEPTED.value, PlanStatus.IN_PROGRESS.value):
        raise Conflict(f"Items of a {plan_row.status} plan are not completed.", field="itemId")
    if item.completed_at is not None:
        raise Conflict("This item is already completed.", field="itemId")
    pid = tenant_gate.practice_of(item)
    prepared = await chart.prepare(
        principal,
        chart.NewEntry(
            patient_id=UUID(str(item.patient_id)),
            kind=chart.EntryKind.PROCEDURE,
            code=item.code,
            tooth=None if item.tooth is None else str(item.tooth),
            surfaces=item.surfaces,
            status=chart.EntryStatus.COMPLETED,
            notation=Notation.FDI,
        ),
    )
    replaces = await _planned_entry(prepared.patient, item)
    if replaces is not None:
        prepared = chart.Prepared(
            chart.NewEntry(
                patient_id=prepared.new.patient_id,
                kind=prepared.new.kind,
                code=prepared.new.code,
                tooth=prepared.new.tooth,
                surfaces=prepared.new.surfaces,
                status=prepared.new.status,
                replaces_id=replaces,
                notation=Notation.FDI,
            ),
            prepared.patient,
            prepared.code,
            prepared.procedure,
            prepared.tooth,
            prepared.surfaces,
            prepared.notes,
        )
    effect = RecallEffect(prepared.procedure.recall_effect if prepared.procedure else "NONE")
    diary = None if effect is RecallEffect.NONE else await diary_of(pid)
    async with unit_of_work() as uow:
        locked = await queries.version_by_id(pid, UUID(str(plan_row.id)), uow.connection)
        if locked.status not in (PlanStatus.ACCEPTED.value, PlanStatus.IN_PROGRESS.value):
            raise Conflict(f"Items of a {locked.status} plan are not completed.", field="itemId")
        current = await queries.item({pid}, item_id, connection=uow.connection, for_update=True)
        assert current is not None
        if current.completed_at is not None:
            raise Conflict("This item is already completed.", field="itemId")
        entry = await chart.write_in(uow, principal, prepared)
        now = datetime.now(UTC)
        current.completed_at = now
        current.completed_by_user_id = principal.user_id
        current.chart_entry_id = entry.id
        await current.save(
            using_db=uow.connection,
            update_fields=["completed_at", "completed_by_user_id", "chart_entry_id"],
        )
        items = await queries.items_of([UUID(str(locked.id))], uow.connection)
        done = all(i.completed_at is not None for i in items)
        target = PlanStatus.COMPLETED if done else PlanStatus.IN_PROGRESS
        if locked.status != target.value:
            check_move(locked.status, target)
            locked.status = target.value
            locked.completed_at = now if done else None
            await locked.save(using_db=uow.connection, update_fields=["status", "completed_at"])
        if diary is not None:
            await recalls.after_treatment(
                uow, principal, diary, UUID(str(item.patient_id)), effect.value, now
            )
        await _changed(uow, principal, locked, "COMPLETE treatment_plan_item", ["items"])
    return (await _view([locked]))[0]


@dataclass(frozen=True, slots=True)
class Uninvoiced:
    items: list[TreatmentPlanItem]
    has_next: bool
    procedure_names: dict[UUID, str]


async def completed_not_invoiced(
    principal: Principal,
    *,
    practice_id: UUID,
    first: int,
    after: tuple[datetime, UUID] | None,
) -> Uninvoiced:
    """Completed plan items no invoice has claimed yet, oldest completion first (billing's
    work list). Needs clinical:read and billing:read in the practice (staff only)."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.CLINICAL_READ)
    if not principal.has_scope(Scope.BILLING_READ, pid):
        await audit.record_denied(principal, action="READ completed_not_invoiced", practice_id=pid)
        raise PolicyDenied("You do not have permission to read the billing work list.")
    only = await visibility.visible_in(principal, pid)
    rows = await queries.completed_not_invoiced(pid, only, after=after, limit=first + 1)
    ids = {UUID(str(r.procedure_id)) for r in rows}
    names = {k: p.name for k, p in (await chart_queries.procedures_by_id({pid}, ids)).items()}
    return Uninvoiced(rows[:first], len(rows) > first, names)


def signed_name_of(plan: TreatmentPlan) -> str | None:
    return sealing.reveal(plan, "signed_name")


def snapshot_json_of(plan: TreatmentPlan) -> str | None:
    return sealing.reveal(plan, "snapshot")


def totals(items: Sequence[TreatmentPlanItem]) -> dict[int, int]:
    """Fee total (pence) per phase."""
    found: dict[int, int] = {}
    for item in items:
        found[item.phase] = found.get(item.phase, 0) + item.fee_pence
    return dict(sorted(found.items()))
