"""The tooth chart and the procedure catalogue as the graph shows them.

``ToothChart`` and ``ChartEntry`` are reached only through ``toothChart`` (``@requires
clinical:read``, the patient's practice checked again by the service) or the payload of a
chart mutation, whose service demanded ``clinical:write`` (which the policy never grants without
``clinical:read``). Teeth are shown in the notation asked for (argument, else the user's
``toothNotation`` setting, else FDI); ``toothFdi`` is always the stored FDI number.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import ChartEntry as ChartEntryModel
from db.models import ProcedureItem as ProcedureItemModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from services.clinical import catalogue, chart, teeth

ToothNotation = strawberry.enum(
    teeth.Notation,
    name="ToothNotation",
    description="How tooth numbers are written: FDI (ISO 3950, e.g. 36), PALMER (e.g. LL6, URE) "
    "or UNIVERSAL (e.g. 19, K).",
)
ToothType = strawberry.enum(
    teeth.ToothType, name="ToothType", description="Kind of tooth (primary molars are MOLAR)."
)
ChartEntryKind = strawberry.enum(
    chart.EntryKind, name="ChartEntryKind", description="A finding or a procedure."
)
ChartEntryStatus = strawberry.enum(
    chart.EntryStatus,
    name="ChartEntryStatus",
    description="PLANNED, COMPLETED, EXISTING (this practice), EXISTING_OTHER (elsewhere), "
    "REFERRED, DECLINED; ENTERED_IN_ERROR only by voiding (the row is kept).",
)
NhsBand = strawberry.enum(catalogue.NhsBand, name="NhsBand", description="NHS charge band.")
ToothScope = strawberry.enum(
    catalogue.ToothScope,
    name="ToothScope",
    description="NONE: whole mouth; TOOTH: one tooth, no surfaces; SURFACES: a tooth and surfaces.",
)
RecallEffect = strawberry.enum(
    catalogue.RecallEffect,
    name="RecallEffect",
    description="Which recall completing the procedure moves on (NONE, EXAM or HYGIENE).",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="One condition or procedure on the chart, as it stood at `asOf`.")
class ChartEntry:
    id: strawberry.ID
    kind: ChartEntryKind = strawberry.field(description="Condition or procedure.")  # type: ignore[valid-type]
    code: str = strawberry.field(description="Condition code or catalogue procedure code.")
    description: str = strawberry.field(description="Condition or procedure name.")
    tooth: str | None = strawberry.field(
        description="The tooth in the chosen notation; null for a whole-mouth procedure."
    )
    tooth_fdi: int | None = strawberry.field(description="The tooth's FDI number (storage).")
    tooth_type: ToothType | None = strawberry.field(description="Kind of tooth.")  # type: ignore[valid-type]
    surfaces: str = strawberry.field(
        description="Surfaces in canonical order (M, O/I, D, B/F, L/P), e.g. MOD; empty for none."
    )
    status: ChartEntryStatus = strawberry.field(  # type: ignore[valid-type]
        description="Status at `asOf`; ENTERED_IN_ERROR once voided."
    )
    procedure_id: strawberry.ID | None = strawberry.field(
        description="The catalogue item of a procedure."
    )
    recorded_at: datetime = strawberry.field(description="When it was recorded.")
    recorded_by_id: strawberry.ID | None = strawberry.field(description="Who recorded it.")
    replaces_id: strawberry.ID | None = strawberry.field(
        description="The entry this one took the place of (a status change)."
    )
    voided_at: datetime | None = strawberry.field(description="When it was marked in error.")
    voided_by_id: strawberry.ID | None = strawberry.field(description="Who marked it in error.")
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    model: strawberry.Private[ChartEntryModel]

    @classmethod
    def from_state(
        cls,
        state: chart.ChartState,
        notation: teeth.Notation,
        names: dict[UUID, str],
    ) -> ChartEntry:
        row = state.entry
        tooth = None if row.tooth is None else teeth.Tooth(int(row.tooth))
        return cls(
            id=_id(row.id),
            kind=chart.EntryKind(row.kind),
            code=row.code,
            description=chart.label(row, names),
            tooth=None if tooth is None else teeth.to_notation(tooth, notation),
            tooth_fdi=None if tooth is None else tooth.fdi,
            tooth_type=None if tooth is None else tooth.type,
            surfaces=row.surfaces,
            status=state.status,
            procedure_id=_id(row.procedure_id) if row.procedure_id else None,
            recorded_at=row.recorded_at,
            recorded_by_id=_id(row.recorded_by_user_id) if row.recorded_by_user_id else None,
            replaces_id=_id(row.replaces_id) if row.replaces_id else None,
            voided_at=row.voided_at if state.voided else None,
            voided_by_id=_id(row.voided_by_user_id)
            if state.voided and row.voided_by_user_id
            else None,
            practice_id=UUID(str(row.practice_id)),
            patient_id=UUID(str(row.patient_id)),
            model=row,
        )

    @strawberry.field(description="Free-text clinical note on the entry.")
    def notes(self) -> str | None:
        return chart.notes_of(self.model)

    @strawberry.field(description="Why it was marked entered in error.")
    def void_reason(self) -> str | None:
        return chart.void_reason_of(self.model) if self.voided_at is not None else None


@strawberry.type(description="A patient's tooth chart as it stood at one instant.")
class ToothChart:
    patient_id: strawberry.ID = strawberry.field(description="The patient charted.")
    as_of: datetime = strawberry.field(description="The instant the chart shows.")
    notation: ToothNotation = strawberry.field(description="How teeth are written here.")  # type: ignore[valid-type]
    entries: list[ChartEntry] = strawberry.field(
        description="Every entry live at `asOf` (and voided ones when asked), oldest first; "
        "a chart is read whole."
    )
    practice_id: strawberry.Private[UUID]
    patient_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("ToothChart", self.patient_uuid, self.patient_uuid, self.practice_id)

    @classmethod
    def from_chart(cls, found: chart.Chart) -> ToothChart:
        return cls(
            patient_id=_id(found.patient.id),
            as_of=found.as_of,
            notation=found.notation,
            entries=[
                ChartEntry.from_state(s, found.notation, found.procedure_names)
                for s in found.entries
            ],
            practice_id=UUID(str(found.patient.practice_id)),
            patient_uuid=UUID(str(found.patient.id)),
        )


@strawberry.type(description="A procedure of the practice's catalogue (its price list).")
class ProcedureItem:
    id: strawberry.ID
    code: str = strawberry.field(description="The practice's code, e.g. CO2.")
    name: str = strawberry.field(description="Procedure name.")
    default_fee_pence: int = strawberry.field(description="Default fee in pence (integer).")
    nhs_band: NhsBand | None = strawberry.field(description="NHS band; null for private only.")  # type: ignore[valid-type]
    tooth_scope: ToothScope = strawberry.field(description="What it is charted on.")  # type: ignore[valid-type]
    tooth_types: list[ToothType] = strawberry.field(  # type: ignore[valid-type]
        description="Tooth types it is done on; empty for any."
    )
    min_surfaces: int = strawberry.field(description="Fewest surfaces (SURFACES items).")
    max_surfaces: int = strawberry.field(description="Most surfaces (SURFACES items).")
    recall_effect: RecallEffect = strawberry.field(description="Recall it moves on.")  # type: ignore[valid-type]
    archived: bool = strawberry.field(description="No longer offered (kept for history).")
    practice_id: strawberry.Private[UUID]

    @classmethod
    def from_model(cls, row: ProcedureItemModel) -> ProcedureItem:
        return cls(
            id=_id(row.id),
            code=row.code,
            name=row.name,
            default_fee_pence=row.default_fee_pence,
            nhs_band=catalogue.NhsBand(row.nhs_band) if row.nhs_band else None,
            tooth_scope=catalogue.ToothScope(row.tooth_scope),
            tooth_types=[teeth.ToothType(t) for t in row.tooth_types or []],
            min_surfaces=row.min_surfaces,
            max_surfaces=row.max_surfaces,
            recall_effect=catalogue.RecallEffect(row.recall_effect),
            archived=row.archived,
            practice_id=UUID(str(row.practice_id)),
        )


@strawberry.input(description="A condition or procedure to chart.")
class RecordChartEntryInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient charted.")
    kind: ChartEntryKind = strawberry.field(description="Condition or procedure.")  # type: ignore[valid-type]
    code: str = strawberry.field(
        description="Condition code (CARIES, FRACTURE, MISSING, UNERUPTED, PARTIALLY_ERUPTED, "
        "RETAINED_ROOT, IMPLANT, CROWN, VENEER, BRIDGE_PONTIC, BRIDGE_ABUTMENT, ROOT_FILLED, "
        "RESTORATION, SEALANT, TOOTH_WEAR, WATCH) or a code of the practice's catalogue."
    )
    tooth: str | None = strawberry.field(
        default=None,
        description="The tooth in `notation`; null only for a whole-mouth procedure.",
    )
    surfaces: str = strawberry.field(
        default="",
        description="Surface letters in any order (M, O, I, D, B, F, L, P); B/F and L/P are "
        "stored as the one that fits the tooth.",
    )
    status: ChartEntryStatus = strawberry.field(  # type: ignore[valid-type]
        default=chart.EntryStatus.EXISTING,
        description="Any status but ENTERED_IN_ERROR; conditions are EXISTING or EXISTING_OTHER.",
    )
    notes: str | None = strawberry.field(default=None, description="Clinical note (encrypted).")
    replaces_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="An entry this one takes the place of (e.g. the PLANNED entry now COMPLETED).",
    )
    notation: ToothNotation | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How `tooth` is written; default: your toothNotation setting."
    )


@strawberry.type(description="The entry just charted.")
class RecordChartEntryPayload:
    entry: ChartEntry = strawberry.field(description="The new entry.")


@strawberry.input(description="Mark a chart entry as entered in error (the row is kept).")
class VoidChartEntryInput(IdFields):
    entry_id: strawberry.ID = strawberry.field(description="The entry to void.")
    reason: str = strawberry.field(description="Why it was wrong (encrypted).")


@strawberry.type(description="The entry, now ENTERED_IN_ERROR.")
class VoidChartEntryPayload:
    entry: ChartEntry = strawberry.field(description="The voided entry.")


@strawberry.input(description="Your tooth notation preference.")
class SetToothNotationInput:
    notation: ToothNotation = strawberry.field(description="FDI, PALMER or UNIVERSAL.")  # type: ignore[valid-type]


@strawberry.type(description="Your tooth notation preference, now stored.")
class SetToothNotationPayload:
    notation: ToothNotation = strawberry.field(description="The notation charts now use.")  # type: ignore[valid-type]


@strawberry.input(description="A new procedure for a practice's catalogue.")
class AddProcedureInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    code: str = strawberry.field(description="Unique code in the practice (letters, digits, -_.).")
    name: str = strawberry.field(description="Procedure name.")
    default_fee_pence: int = strawberry.field(default=0, description="Default fee in pence.")
    nhs_band: NhsBand | None = strawberry.field(default=None, description="NHS band, if any.")  # type: ignore[valid-type]
    tooth_scope: ToothScope = strawberry.field(description="What it is charted on.")  # type: ignore[valid-type]
    tooth_types: list[ToothType] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list, description="Tooth types it is done on; empty for any."
    )
    min_surfaces: int = strawberry.field(default=0, description="Fewest surfaces (SURFACES).")
    max_surfaces: int = strawberry.field(default=0, description="Most surfaces (SURFACES).")
    recall_effect: RecallEffect = strawberry.field(  # type: ignore[valid-type]
        default=catalogue.RecallEffect.NONE, description="Recall it moves on."
    )

    def spec(self) -> catalogue.ProcedureSpec:
        return catalogue.ProcedureSpec(
            code=self.code,
            name=self.name,
            default_fee_pence=self.default_fee_pence,
            nhs_band=self.nhs_band,
            tooth_scope=self.tooth_scope,
            tooth_types=tuple(self.tooth_types),
            min_surfaces=self.min_surfaces,
            max_surfaces=self.max_surfaces,
            recall_effect=self.recall_effect,
        )


@strawberry.input(description="Changes to a catalogue procedure; omitted fields stay.")
class UpdateProcedureInput(IdFields):
    id: strawberry.ID = strawberry.field(description="The procedure.")
    code: str | None = strawberry.field(default=None, description="New code.")
    name: str | None = strawberry.field(default=None, description="New name.")
    default_fee_pence: int | None = strawberry.field(default=None, description="New fee (pence).")
    nhs_band: NhsBand | None = strawberry.field(default=None, description="New NHS band.")  # type: ignore[valid-type]
    clear_nhs_band: bool = strawberry.field(default=False, description="Make it private only.")
    tooth_scope: ToothScope | None = strawberry.field(default=None, description="New scope.")  # type: ignore[valid-type]
    tooth_types: list[ToothType] | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="New tooth types (empty: any)."
    )
    min_surfaces: int | None = strawberry.field(default=None, description="New minimum.")
    max_surfaces: int | None = strawberry.field(default=None, description="New maximum.")
    recall_effect: RecallEffect | None = strawberry.field(default=None, description="New effect.")  # type: ignore[valid-type]
    archived: bool | None = strawberry.field(default=None, description="Archive or restore.")

    def spec(self) -> catalogue.ProcedureSpec:
        return catalogue.ProcedureSpec(
            code=self.code,
            name=self.name,
            default_fee_pence=self.default_fee_pence,
            nhs_band=self.nhs_band,
            clear_nhs_band=self.clear_nhs_band,
            tooth_scope=self.tooth_scope,
            tooth_types=None if self.tooth_types is None else tuple(self.tooth_types),
            min_surfaces=self.min_surfaces,
            max_surfaces=self.max_surfaces,
            recall_effect=self.recall_effect,
            archived=self.archived,
        )


@strawberry.type(description="The catalogue procedure after the change.")
class ProcedurePayload:
    procedure: ProcedureItem = strawberry.field(description="The procedure.")
    changed_fields: list[str] = strawberry.field(description="API names of changed fields.")
