"""The tooth chart: recording conditions and procedures, voiding mistakes, and the chart as it
stood at any instant.

Nothing is overwritten. A status change (the planned filling is done) is a new entry naming the
one it replaces; a mistake is voided (ENTERED_IN_ERROR, with a reason) by stamping its row once.
``as_of`` then answers from the rows alone: entries recorded by that instant, minus those replaced
by then by an entry not itself voided by then. Voiding a replacement brings back what it replaced,
which is what "entered in error" means.

Reading needs ``clinical:read`` in the patient's practice (a patient reads their own chart);
changing needs ``clinical:write`` (staff only). The patient is found through
``services.patients.patient_access`` (tenancy and ``services.visibility``), so another practice's
patient answers like a random id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import ChartEntry, Patient, ProcedureItem
from db.queries import clinical_chart as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import audit, tenant_gate
from services.clinical import catalogue, teeth
from services.clinical.teeth import Notation, Tooth
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import patient_access, sealing
from services.patients import validation as v
from services.patients.records import record_change
from services.policy import Scope
from services.principal import Principal

TOPIC = "clinical"


class EntryKind(StrEnum):
    CONDITION = "CONDITION"
    PROCEDURE = "PROCEDURE"


class EntryStatus(StrEnum):
    PLANNED = "PLANNED"
    COMPLETED = "COMPLETED"
    EXISTING = "EXISTING"  # done at this practice before it was charted
    EXISTING_OTHER = "EXISTING_OTHER"  # done elsewhere
    REFERRED = "REFERRED"
    DECLINED = "DECLINED"
    ENTERED_IN_ERROR = "ENTERED_IN_ERROR"  # only ever by voiding


class Surfaces(StrEnum):
    NONE = "NONE"  # a whole-tooth finding
    OPTIONAL = "OPTIONAL"
    REQUIRED = "REQUIRED"


@dataclass(frozen=True, slots=True)
class Condition:
    label: str
    surfaces: Surfaces


CONDITIONS: dict[str, Condition] = {
    "CARIES": Condition("Caries", Surfaces.OPTIONAL),
    "FRACTURE": Condition("Fracture", Surfaces.OPTIONAL),
    "TOOTH_WEAR": Condition("Tooth wear", Surfaces.OPTIONAL),
    "WATCH": Condition("Watch", Surfaces.OPTIONAL),
    "RESTORATION": Condition("Restoration (filling)", Surfaces.REQUIRED),
    "SEALANT": Condition("Fissure sealant", Surfaces.OPTIONAL),
    "MISSING": Condition("Missing", Surfaces.NONE),
    "UNERUPTED": Condition("Unerupted", Surfaces.NONE),
    "PARTIALLY_ERUPTED": Condition("Partially erupted", Surfaces.NONE),
    "RETAINED_ROOT": Condition("Retained root", Surfaces.NONE),
    "IMPLANT": Condition("Implant", Surfaces.NONE),
    "CROWN": Condition("Crown", Surfaces.NONE),
    "VENEER": Condition("Veneer", Surfaces.NONE),
    "BRIDGE_PONTIC": Condition("Bridge pontic", Surfaces.NONE),
    "BRIDGE_ABUTMENT": Condition("Bridge abutment", Surfaces.NONE),
    "ROOT_FILLED": Condition("Root filled", Surfaces.NONE),
}
# A condition is a finding: present (this practice's work or not), never planned or declined.
CONDITION_STATUSES = frozenset({EntryStatus.EXISTING, EntryStatus.EXISTING_OTHER})
RECORDABLE = frozenset(EntryStatus) - {EntryStatus.ENTERED_IN_ERROR}


@dataclass(frozen=True, slots=True)
class NewEntry:
    patient_id: UUID
    kind: EntryKind
    code: str
    tooth: str | None = None
    surfaces: str = ""
    status: EntryStatus = EntryStatus.EXISTING
    notes: str | None = None
    replaces_id: UUID | None = None
    notation: Notation | None = None  # how ``tooth`` is written; default: the user's setting


@dataclass(frozen=True, slots=True)
class ChartState:
    """One entry as it stood at ``as_of``."""

    entry: ChartEntry
    status: EntryStatus  # ENTERED_IN_ERROR when voided by then
    voided: bool


@dataclass(frozen=True, slots=True)
class Chart:
    patient: Patient
    as_of: datetime
    notation: Notation
    entries: list[ChartState]
    procedure_names: dict[UUID, str]


@dataclass(frozen=True, slots=True)
class EntryView:
    """One entry just changed, with what showing it needs."""

    state: ChartState
    notation: Notation
    procedure_names: dict[UUID, str]


async def _names(practice_id: PracticeId, rows: Sequence[ChartEntry]) -> dict[UUID, str]:
    ids = {UUID(str(r.procedure_id)) for r in rows if r.procedure_id is not None}
    found = await queries.procedures_by_id({practice_id}, ids)
    return {item_id: item.name for item_id, item in found.items()}


async def _view(principal: Principal, entry: ChartEntry, notation: Notation | None) -> EntryView:
    voided = entry.voided_at is not None
    state = ChartState(
        entry, EntryStatus.ENTERED_IN_ERROR if voided else EntryStatus(entry.status), voided
    )
    pid = tenant_gate.practice_of(entry)
    return EntryView(state, await notation_of(principal, notation), await _names(pid, [entry]))


def state_at(
    rows: Sequence[ChartEntry], as_of: datetime, *, include_voided: bool
) -> list[ChartState]:
    """The chart at ``as_of`` from a patient's rows (any order); oldest first."""
    known = [r for r in rows if r.recorded_at <= as_of]
    voided = {str(r.id) for r in known if r.voided_at is not None and r.voided_at <= as_of}
    replaced = {
        str(r.replaces_id) for r in known if r.replaces_id is not None and str(r.id) not in voided
    }
    found = []
    for row in sorted(known, key=lambda r: (r.recorded_at, str(r.id))):
        if str(row.id) in replaced:
            continue
        gone = str(row.id) in voided
        if gone and not include_voided:
            continue
        status = EntryStatus.ENTERED_IN_ERROR if gone else EntryStatus(row.status)
        found.append(ChartState(row, status, gone))
    return found


async def notation_of(principal: Principal, asked: Notation | None = None) -> Notation:
    """The field argument when given, else the user's setting, else FDI."""
    if asked is not None:
        return asked
    if principal.user_id is None:
        return Notation.FDI
    stored = await queries.tooth_notation(principal.user_id) or ""
    return Notation(stored) if stored in Notation.__members__ else Notation.FDI


async def set_notation(principal: Principal, notation: Notation) -> Notation:
    if principal.user_id is None:
        raise PolicyDenied("Only a signed-in person has a notation setting.")
    async with unit_of_work() as uow:
        await queries.set_tooth_notation(principal.user_id, notation.value, uow.connection)
        uow.audit(
            audit.record_for(
                principal,
                action="UPDATE user tooth_notation",
                entity_type="User",
                entity_id=principal.user_id,
                fields=["toothNotation"],
            )
        )
    return notation


async def chart(
    principal: Principal,
    *,
    patient_id: UUID,
    as_of: datetime | None = None,
    notation: Notation | None = None,
    include_voided: bool = False,
) -> Chart:
    patient = await patient_access.clinical_patient(
        principal, patient_id, Scope.CLINICAL_READ, action="READ tooth_chart"
    )
    now = datetime.now(UTC)
    if as_of is not None and as_of.tzinfo is None:
        raise ValidationFailed("'asOf' needs a time zone.", field="asOf")
    instant = min(as_of or now, now)
    pid = tenant_gate.practice_of(patient)
    rows = await queries.entries_until({pid}, UUID(str(patient.id)), instant)
    states = state_at(rows, instant, include_voided=include_voided)
    return Chart(
        patient=patient,
        as_of=instant,
        notation=await notation_of(principal, notation),
        entries=states,
        procedure_names=await _names(pid, [s.entry for s in states]),
    )


def _checked_condition(code: str, tooth: Tooth | None, surfaces: str, status: EntryStatus) -> None:
    condition = CONDITIONS.get(code)
    if condition is None:
        raise ValidationFailed("Unknown condition code.", field="code")
    if tooth is None:
        raise ValidationFailed("A condition is charted on a tooth.", field="tooth")
    if condition.surfaces is Surfaces.NONE and surfaces:
        raise ValidationFailed("This condition takes no surfaces.", field="surfaces")
    if condition.surfaces is Surfaces.REQUIRED and not surfaces:
        raise ValidationFailed("This condition needs its surfaces.", field="surfaces")
    if status not in CONDITION_STATUSES:
        raise ValidationFailed(
            "A condition is EXISTING or EXISTING_OTHER (plan a procedure instead).",
            field="status",
        )


@dataclass(frozen=True, slots=True)
class Prepared:
    """A new entry checked outside any transaction, ready to write in a unit of work."""

    new: NewEntry
    patient: Patient
    code: str
    procedure: ProcedureItem | None
    tooth: Tooth | None
    surfaces: str
    notes: str | None


async def prepare(principal: Principal, new: NewEntry) -> Prepared:
    """Validate everything before the transaction; BAD_USER_INPUT names the field at fault."""
    patient = await patient_access.clinical_patient(
        principal, new.patient_id, Scope.CLINICAL_WRITE, action="RECORD chart_entry"
    )
    pid = tenant_gate.practice_of(patient)
    if new.status not in RECORDABLE:
        raise ValidationFailed("Void an entry to mark it entered in error.", field="status")
    notation = await notation_of(principal, new.notation)
    tooth = None if new.tooth in (None, "") else teeth.parse(str(new.tooth), notation)
    surfaces = "" if tooth is None else teeth.surfaces(tooth, new.surfaces)
    if tooth is None and new.surfaces.strip():
        raise ValidationFailed("Surfaces need a tooth.", field="surfaces")
    code = v.text(new.code, "code", max_length=32, required=True) or ""
    code = code.upper()
    procedure = None
    if new.kind is EntryKind.CONDITION:
        _checked_condition(code, tooth, surfaces, new.status)
    else:
        procedure = await queries.procedure_by_code(pid, code)
        if procedure is None or procedure.archived:
            raise ValidationFailed("No such procedure in this practice's catalogue.", field="code")
        catalogue.check_tooth(procedure, tooth, surfaces)
    notes = v.text(new.notes or "", "notes", max_length=5000)
    return Prepared(new, patient, code, procedure, tooth, surfaces, notes)


async def record(principal: Principal, new: NewEntry) -> EntryView:
    prepared = await prepare(principal, new)
    async with unit_of_work() as uow:
        entry = await write_in(uow, principal, prepared)
    return await _view(principal, entry, new.notation)


async def write_in(uow: UnitOfWork, principal: Principal, prepared: Prepared) -> ChartEntry:
    """The entry, its audit row and its event in the caller's unit of work (a completed plan
    item records its procedure in the same transaction as the item)."""
    new, patient, procedure, tooth = (
        prepared.new,
        prepared.patient,
        prepared.procedure,
        prepared.tooth,
    )
    pid = tenant_gate.practice_of(patient)
    # One writer per patient chart at a time: replacement checks see each other.
    await queries.lock_patient(pid, UUID(str(patient.id)), uow.connection)
    if new.replaces_id is not None:
        await _replaceable(uow, patient, new.replaces_id)
    entry = ChartEntry(
        id=uuid4(),
        practice_id=pid,
        patient_id=patient.id,
        kind=new.kind.value,
        code=prepared.code,
        procedure_id=None if procedure is None else procedure.id,
        tooth=None if tooth is None else tooth.fdi,
        surfaces=prepared.surfaces,
        status=new.status.value,
        recorded_at=datetime.now(UTC),
        recorded_by_user_id=principal.user_id,
        replaces_id=new.replaces_id,
    )
    entry.notes = sealing.seal(entry, "notes", prepared.notes)
    await entry.save(using_db=uow.connection)
    await _changed(uow, principal, patient, entry, "RECORD chart_entry", "CHART_ENTRY_RECORDED")
    return entry


async def _replaceable(uow: UnitOfWork, patient: Patient, replaces_id: UUID) -> None:
    pid = tenant_gate.practice_of(patient)
    old = await queries.entry({pid}, replaces_id, connection=uow.connection)
    if old is None or str(old.patient_id) != str(patient.id):
        raise NotFound("Chart entry")
    if old.voided_at is not None:
        raise Conflict("That entry was entered in error; record a new one.", field="replacesId")
    if await queries.replacements(UUID(str(patient.id)), replaces_id, uow.connection):
        raise Conflict("That entry has already been replaced.", field="replacesId")


async def void(
    principal: Principal, *, entry_id: UUID, reason: str, notation: Notation | None = None
) -> EntryView:
    found = await queries.entry(principal.practices_with(Scope.PATIENT_READ), entry_id)
    if found is None:
        raise NotFound("Chart entry")
    patient = await patient_access.clinical_patient(
        principal, UUID(str(found.patient_id)), Scope.CLINICAL_WRITE, action="RECORD chart_entry"
    )
    why = v.text(reason, "reason", max_length=1000, required=True)
    async with unit_of_work() as uow:
        entry = await queries.entry(
            {tenant_gate.practice_of(patient)},
            entry_id,
            connection=uow.connection,
            for_update=True,
        )
        assert entry is not None  # rows are never deleted
        if entry.voided_at is not None:
            raise Conflict("This entry is already marked entered in error.", field="entryId")
        entry.voided_at = datetime.now(UTC)
        entry.voided_by_user_id = principal.user_id
        entry.void_reason = sealing.seal(entry, "void_reason", why)
        await entry.save(
            using_db=uow.connection,
            update_fields=["voided_at", "voided_by_user_id", "void_reason"],
        )
        await _changed(uow, principal, patient, entry, "VOID chart_entry", "CHART_ENTRY_VOIDED")
    return await _view(principal, entry, notation)


async def _changed(
    uow: UnitOfWork,
    principal: Principal,
    patient: Patient,
    entry: ChartEntry,
    action: str,
    event: str,
) -> None:
    """Audit (field names only) and an ids-only event on the patient's clinical stream."""
    await record_change(
        uow,
        principal,
        patient,
        action=action,
        event=event,
        changed=["toothChart"],
        entity_type="ChartEntry",
        entity_id=entry.id,
        topic=TOPIC,
        patient_stream=True,
    )


def label(entry: ChartEntry, procedure_names: dict[UUID, str]) -> str:
    if entry.kind == EntryKind.CONDITION.value:
        known = CONDITIONS.get(entry.code)
        return known.label if known else entry.code
    if entry.procedure_id is not None:
        return procedure_names.get(UUID(str(entry.procedure_id)), entry.code)
    return entry.code


def notes_of(entry: ChartEntry) -> str | None:
    return sealing.reveal(entry, "notes")


def void_reason_of(entry: ChartEntry) -> str | None:
    return sealing.reveal(entry, "void_reason")
