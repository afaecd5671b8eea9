"""A practice's procedure catalogue: what it does, its code, default fee (integer pence, never a
float), NHS band where one applies, which teeth and how many surfaces it takes, and which recall
completing it moves on.

The catalogue is the practice's price list: any member who reads the practice may read it, and
those who run the practice (``practice:write``) change it. Chart procedures must name one of its
items, and the item's tooth rules are checked when a procedure is charted.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID, uuid4

from db.models import ProcedureItem
from db.outbox import PendingEvent
from db.queries import clinical_chart as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork, unit_of_work
from services import actors, audit, tenant_gate
from services.clinical.teeth import Tooth, ToothType
from services.errors import Conflict, NotFound, PolicyDenied, ValidationFailed
from services.patients import validation as v
from services.policy import Scope
from services.principal import Principal

MAX_FEE_PENCE = 10_000_000  # £100,000: anything above is a typo, not a dental fee


class NhsBand(StrEnum):
    BAND_1 = "BAND_1"
    BAND_2 = "BAND_2"
    BAND_3 = "BAND_3"
    URGENT = "URGENT"


class ToothScope(StrEnum):
    NONE = "NONE"  # the whole mouth (an examination, a scale and polish)
    TOOTH = "TOOTH"  # one tooth, no surfaces (a crown, an extraction)
    SURFACES = "SURFACES"  # a tooth and some of its surfaces (a filling)


class RecallEffect(StrEnum):
    NONE = "NONE"
    EXAM = "EXAM"
    HYGIENE = "HYGIENE"


@dataclass(frozen=True, slots=True)
class ProcedureSpec:
    """An item's values; on update, ``None`` leaves a value as it is."""

    code: str | None = None
    name: str | None = None
    default_fee_pence: int | None = None
    nhs_band: NhsBand | None = None
    clear_nhs_band: bool = False
    tooth_scope: ToothScope | None = None
    tooth_types: tuple[ToothType, ...] | None = None
    min_surfaces: int | None = None
    max_surfaces: int | None = None
    recall_effect: RecallEffect | None = None
    archived: bool | None = None


def _item(
    code: str,
    name: str,
    fee: int,
    band: NhsBand | None,
    scope: ToothScope,
    types: tuple[ToothType, ...] = (),
    surfaces: tuple[int, int] = (0, 0),
    recall: RecallEffect = RecallEffect.NONE,
) -> ProcedureSpec:
    return ProcedureSpec(
        code=code,
        name=name,
        default_fee_pence=fee,
        nhs_band=band,
        tooth_scope=scope,
        tooth_types=types,
        min_surfaces=surfaces[0],
        max_surfaces=surfaces[1],
        recall_effect=recall,
    )


B1, B2, B3, URG = NhsBand.BAND_1, NhsBand.BAND_2, NhsBand.BAND_3, NhsBand.URGENT
WHOLE, ONE, SURF = ToothScope.NONE, ToothScope.TOOTH, ToothScope.SURFACES
ANTERIOR = (ToothType.INCISOR, ToothType.CANINE)
POSTERIOR = (ToothType.PREMOLAR, ToothType.MOLAR)

# A realistic UK mixed NHS/private price list (fees are the private fee; NHS patients pay the band).
UK_CATALOGUE: tuple[ProcedureSpec, ...] = (
    _item("EXAM", "Examination (routine)", 5500, B1, WHOLE, recall=RecallEffect.EXAM),
    _item("EXAM-NEW", "New patient examination", 7500, B1, WHOLE, recall=RecallEffect.EXAM),
    _item("XR-BW", "Bitewing radiographs (pair)", 3000, B1, WHOLE),
    _item("XR-PA", "Periapical radiograph", 1500, B1, ONE),
    _item("FV", "Fluoride varnish", 2500, B1, WHOLE),
    _item("SP", "Scale and polish", 6500, B1, WHOLE, recall=RecallEffect.HYGIENE),
    _item("HYG", "Hygienist appointment (30 min)", 7000, None, WHOLE, recall=RecallEffect.HYGIENE),
    _item("FS", "Fissure sealant", 3500, B1, SURF, POSTERIOR, (1, 1)),
    _item("AM1", "Amalgam filling, 1 surface", 9000, B2, SURF, POSTERIOR, (1, 1)),
    _item("AM2", "Amalgam filling, 2 surfaces", 11000, B2, SURF, POSTERIOR, (2, 2)),
    _item("AM3", "Amalgam filling, 3 or more surfaces", 13000, B2, SURF, POSTERIOR, (3, 5)),
    _item("CO1", "Composite filling, 1 surface", 12000, B2, SURF, (), (1, 1)),
    _item("CO2", "Composite filling, 2 surfaces", 15000, B2, SURF, (), (2, 2)),
    _item("CO3", "Composite filling, 3 or more surfaces", 18000, B2, SURF, (), (3, 5)),
    _item("GI", "Glass ionomer filling", 9000, B2, SURF, (), (1, 5)),
    _item("RCT-A", "Root canal treatment, incisor or canine", 35000, B2, ONE, ANTERIOR),
    _item("RCT-P", "Root canal treatment, premolar", 45000, B2, ONE, (ToothType.PREMOLAR,)),
    _item("RCT-M", "Root canal treatment, molar", 65000, B2, ONE, (ToothType.MOLAR,)),
    _item("EXT", "Extraction", 12000, B2, ONE),
    _item("EXT-S", "Surgical extraction", 25000, B2, ONE),
    _item("CR-PBM", "Crown, porcelain bonded to metal", 60000, B3, ONE),
    _item("CR-EMAX", "Crown, all-ceramic (private)", 75000, None, ONE),
    _item("BR-ABUT", "Bridge abutment (retainer crown)", 55000, B3, ONE),
    _item("BR-PONT", "Bridge pontic", 50000, B3, ONE),
    _item("DEN-ACR", "Acrylic partial denture", 45000, B3, WHOLE),
    _item("VEN", "Porcelain veneer (private)", 70000, None, ONE, ANTERIOR),
    _item("IMP", "Single implant with crown (private)", 250000, None, ONE),
    _item("URG", "Urgent treatment", 7500, URG, WHOLE),
)


def _cleaned(spec: ProcedureSpec, *, creating: bool) -> dict[str, object]:
    values: dict[str, object] = {}
    if spec.code is not None or creating:
        code = (v.text(spec.code or "", "code", max_length=32, required=True) or "").upper()
        if not all(c.isalnum() or c in "-_." for c in code):
            raise ValidationFailed("A code has letters, digits, '-', '_' or '.'.", field="code")
        values["code"] = code
    if spec.name is not None or creating:
        values["name"] = v.text(spec.name or "", "name", max_length=200, required=True)
    if spec.default_fee_pence is not None:
        if not 0 <= spec.default_fee_pence <= MAX_FEE_PENCE:
            raise ValidationFailed("The fee is out of range.", field="defaultFeePence")
        values["default_fee_pence"] = spec.default_fee_pence
    if spec.nhs_band is not None or spec.clear_nhs_band:
        values["nhs_band"] = None if spec.clear_nhs_band else spec.nhs_band
    if spec.tooth_scope is not None:
        values["tooth_scope"] = spec.tooth_scope.value
    elif creating:
        raise ValidationFailed("'toothScope' is required.", field="toothScope")
    if spec.tooth_types is not None:
        values["tooth_types"] = sorted({t.value for t in spec.tooth_types})
    for name in ("min_surfaces", "max_surfaces"):
        value = getattr(spec, name)
        if value is not None:
            if not 0 <= value <= 5:
                raise ValidationFailed("Surfaces are 0 to 5.", field=_camel(name))
            values[name] = value
    if spec.recall_effect is not None:
        values["recall_effect"] = spec.recall_effect.value
    if spec.archived is not None:
        values["archived"] = spec.archived
    return values


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.capitalize() for p in rest)


def _check_shape(item: ProcedureItem) -> None:
    """Surface counts only make sense for SURFACES items, and min may not exceed max."""
    if item.tooth_scope == ToothScope.SURFACES.value:
        if item.min_surfaces < 1 or item.max_surfaces < item.min_surfaces:
            raise ValidationFailed(
                "A surface procedure takes 1 to 5 surfaces, minimum not above maximum.",
                field="minSurfaces",
            )
    else:
        item.min_surfaces = item.max_surfaces = 0
    if item.tooth_scope == ToothScope.NONE.value:
        item.tooth_types = []


async def catalogue(
    principal: Principal,
    *,
    practice_id: UUID,
    include_archived: bool = False,
    after_code: str | None = None,
    limit: int = 101,
) -> list[ProcedureItem]:
    """Ordered by code (unique in the practice), keyset-paged after ``after_code``."""
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    return await queries.procedures(
        principal.practices_with(Scope.PRACTICE_READ),
        pid,
        include_archived=include_archived,
        after_code=after_code,
        limit=limit,
    )


async def _writable(principal: Principal, practice_id: UUID, action: str) -> PracticeId:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_READ)
    if not principal.has_scope(Scope.PRACTICE_WRITE, pid):
        await audit.record_denied(principal, action=action, practice_id=pid)
        raise PolicyDenied("You do not have permission to change this practice's catalogue.")
    return pid


async def _recorded(
    uow: UnitOfWork, principal: Principal, item: ProcedureItem, action: str, changed: list[str]
) -> None:
    pid = tenant_gate.practice_of(item)
    uow.audit(
        audit.record_for(
            principal,
            action=action,
            practice_id=pid,
            entity_type="ProcedureItem",
            entity_id=item.id,
            fields=sorted(changed),
        )
    )
    organization = principal.organization_of(pid)
    assert organization is not None  # tenant_gate.practice_for checked it
    uow.emit(
        PendingEvent(
            organization_id=organization,
            practice_id=pid,
            topic="clinical",
            type="PROCEDURE_ITEM_CHANGED",
            entity_id=UUID(str(item.id)),
            payload=actors.stamped({}, principal),
        )
    )


async def add(principal: Principal, *, practice_id: UUID, spec: ProcedureSpec) -> ProcedureItem:
    pid = await _writable(principal, practice_id, "CREATE procedure_item")
    values = _cleaned(spec, creating=True)
    item = ProcedureItem(id=uuid4(), practice_id=pid, **values)
    _check_shape(item)
    async with unit_of_work() as uow:
        if await queries.procedure_by_code(pid, str(item.code)) is not None:
            raise Conflict("This practice already has a procedure with this code.", field="code")
        await item.save(using_db=uow.connection)
        await _recorded(uow, principal, item, "CREATE procedure_item", [_camel(k) for k in values])
    return item


async def update(
    principal: Principal, *, item_id: UUID, spec: ProcedureSpec
) -> tuple[ProcedureItem, list[str]]:
    found = await queries.procedure(principal.practices_with(Scope.PRACTICE_READ), item_id)
    if found is None:
        raise NotFound("Procedure")
    await _writable(principal, UUID(str(found.practice_id)), "UPDATE procedure_item")
    values = _cleaned(spec, creating=False)
    async with unit_of_work() as uow:
        item = await queries.lock_procedure(
            tenant_gate.practice_of(found), UUID(str(found.id)), uow.connection
        )
        changed = [k for k, value in values.items() if getattr(item, k) != value]
        if "code" in changed:
            pid = tenant_gate.practice_of(item)
            if await queries.procedure_by_code(pid, str(values["code"])) is not None:
                raise Conflict(
                    "This practice already has a procedure with this code.", field="code"
                )
        for key in changed:
            setattr(item, key, values[key])
        _check_shape(item)
        if changed:
            await item.save(using_db=uow.connection)
            await _recorded(
                uow, principal, item, "UPDATE procedure_item", [_camel(k) for k in changed]
            )
    return item, [_camel(k) for k in changed]


def check_tooth(item: ProcedureItem, tooth: Tooth | None, surfaces: str) -> None:
    """The item's tooth rules for one charted procedure (surfaces already canonical)."""
    if item.tooth_scope == ToothScope.NONE.value:
        if tooth is not None:
            raise ValidationFailed("This procedure is for the whole mouth.", field="tooth")
        return
    if tooth is None:
        raise ValidationFailed("This procedure needs a tooth.", field="tooth")
    types = list(item.tooth_types or [])
    if types and tooth.type.value not in types:
        raise ValidationFailed("This procedure is not done on this type of tooth.", field="tooth")
    if item.tooth_scope == ToothScope.TOOTH.value:
        if surfaces:
            raise ValidationFailed("This procedure takes no surfaces.", field="surfaces")
        return
    if not item.min_surfaces <= len(surfaces) <= item.max_surfaces:
        raise ValidationFailed(
            f"This procedure takes {item.min_surfaces} to {item.max_surfaces} surfaces.",
            field="surfaces",
        )


def seed_items(practice_id: UUID) -> list[ProcedureItem]:
    """The UK set as unsaved rows for one practice (the demo seed and new practices use it)."""
    return [
        ProcedureItem(id=uuid4(), practice_id=practice_id, **_cleaned(spec, creating=True))
        for spec in UK_CATALOGUE
    ]


async def seed_practice(practice_id: PracticeId) -> int:
    """Give a practice the UK set (codes it already has are left alone); how many were added."""
    have = await queries.procedure_codes(practice_id)
    new = [item for item in seed_items(practice_id) if str(item.code) not in have]
    if new:
        await queries.add_procedures(new)
    return len(new)
