"""Treatment plans as the graph shows them: versions, phases with their totals, items with fees
in integer pence, and the signed acceptance (typed name, signature document, witness, consent
row, frozen snapshot and its hash).

``TreatmentPlan`` is reached only through ``treatmentPlans`` / ``treatmentPlan`` (``@requires
clinical:read``, the patient's practice checked again by the service) or a plan mutation, whose
service demanded ``clinical:write``. Each plan returned is one audited read (entity
``TreatmentPlan``, the patient, the fields selected).
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from db.models import TreatmentPlan as PlanModel
from db.models import TreatmentPlanItem as ItemModel
from graph.audit_extension import ReadRecord
from graph.ids import IdFields
from graph.schema.clinical_chart import NhsBand, ToothNotation
from services.clinical import catalogue, plans

TreatmentPlanStatus = strawberry.enum(
    plans.PlanStatus,
    name="TreatmentPlanStatus",
    description="PROPOSED (editable), ACCEPTED (signed), IN_PROGRESS, COMPLETED, DECLINED, or "
    "SUPERSEDED (a newer version replaced it; the signed copy stays readable).",
)


def _id(value: object) -> strawberry.ID:
    return strawberry.ID(str(value))


def _band(value: str | None) -> catalogue.NhsBand | None:
    return catalogue.NhsBand(value) if value else None


@strawberry.type(description="One planned procedure of a plan version.")
class TreatmentPlanItem:
    id: strawberry.ID
    phase: int = strawberry.field(description="The phase it belongs to (1 first).")
    position: int = strawberry.field(description="Order within the plan version.")
    procedure_code: str = strawberry.field(description="The catalogue procedure code.")
    procedure_name: str = strawberry.field(description="The catalogue procedure name.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for the whole mouth.")
    surfaces: str = strawberry.field(description="Surfaces in canonical order; empty for none.")
    fee_pence: int = strawberry.field(description="The fee in integer pence.")
    nhs_band: NhsBand | None = strawberry.field(  # type: ignore[valid-type]
        description="NHS charge band where one applies."
    )
    completed_at: datetime | None = strawberry.field(description="When it was done.")
    chart_entry_id: strawberry.ID | None = strawberry.field(
        description="The COMPLETED chart entry recorded when it was done."
    )

    @classmethod
    def from_model(cls, row: ItemModel, names: dict[UUID, str]) -> TreatmentPlanItem:
        return cls(
            id=_id(row.id),
            phase=row.phase,
            position=row.position,
            procedure_code=row.code,
            procedure_name=names.get(UUID(str(row.procedure_id)), row.code),
            tooth_fdi=row.tooth,
            surfaces=row.surfaces,
            fee_pence=row.fee_pence,
            nhs_band=_band(row.nhs_band),
            completed_at=row.completed_at,
            chart_entry_id=_id(row.chart_entry_id) if row.chart_entry_id else None,
        )


@strawberry.type(description="One phase of a plan and its estimate.")
class TreatmentPlanPhase:
    number: int = strawberry.field(description="The phase number (1 first).")
    items: list[TreatmentPlanItem] = strawberry.field(description="Its items, in order.")
    total_pence: int = strawberry.field(description="Sum of its items' fees, in pence.")


@strawberry.type(description="One version of a patient's treatment plan.")
class TreatmentPlan:
    id: strawberry.ID = strawberry.field(description="The plan (the same for all versions).")
    version_id: strawberry.ID = strawberry.field(description="This version's own id.")
    version: int = strawberry.field(description="1 for the first version, then +1.")
    status: TreatmentPlanStatus = strawberry.field(description="Where the version stands.")  # type: ignore[valid-type]
    patient_id: strawberry.ID = strawberry.field(description="The patient.")
    created_at: datetime = strawberry.field(description="When this version was proposed.")
    phases: list[TreatmentPlanPhase] = strawberry.field(description="Phases with items, in order.")
    total_pence: int = strawberry.field(description="The estimate: all items' fees, in pence.")
    accepted_at: datetime | None = strawberry.field(description="When the patient signed.")
    signed_name: str | None = strawberry.field(description="The name the patient typed.")
    signature_document_id: strawberry.ID | None = strawberry.field(
        description="The SIGNATURE document holding the signature image."
    )
    witness_user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who witnessed the signature."
    )
    consent_record_id: strawberry.ID | None = strawberry.field(
        description="The TREATMENT consent ledger row recorded on acceptance."
    )
    snapshot: str | None = strawberry.field(
        description="The signed plan frozen as canonical JSON (null until accepted)."
    )
    snapshot_sha256: str | None = strawberry.field(description="SHA-256 (hex) of `snapshot`.")
    declined_at: datetime | None = strawberry.field(description="When it was declined.")
    completed_at: datetime | None = strawberry.field(description="When the last item was done.")
    superseded_at: datetime | None = strawberry.field(
        description="When a newer version replaced it."
    )
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]
    version_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("TreatmentPlan", self.version_uuid, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_view(cls, view: plans.PlanView) -> TreatmentPlan:
        row: PlanModel = view.plan
        items = [TreatmentPlanItem.from_model(i, view.procedure_names) for i in view.items]
        phases = [
            TreatmentPlanPhase(
                number=number,
                items=[i for i in items if i.phase == number],
                total_pence=total,
            )
            for number, total in plans.totals(view.items).items()
        ]
        return cls(
            id=_id(row.plan_id),
            version_id=_id(row.id),
            version=row.version,
            status=plans.PlanStatus(row.status),
            patient_id=_id(row.patient_id),
            created_at=row.created_at,
            phases=phases,
            total_pence=sum(i.fee_pence for i in view.items),
            accepted_at=row.accepted_at,
            signed_name=plans.signed_name_of(row),
            signature_document_id=_id(row.signature_document_id)
            if row.signature_document_id
            else None,
            witness_user_id=_id(row.witness_user_id) if row.witness_user_id else None,
            consent_record_id=_id(row.consent_record_id) if row.consent_record_id else None,
            snapshot=plans.snapshot_json_of(row),
            snapshot_sha256=row.snapshot_sha256,
            declined_at=row.declined_at,
            completed_at=row.completed_at,
            superseded_at=row.superseded_at,
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
            version_uuid=UUID(str(row.id)),
        )


@strawberry.type(description="A completed plan item not yet on an invoice (billing's work list).")
class CompletedPlanItem:
    item_id: strawberry.ID = strawberry.field(description="The plan item.")
    patient_id: strawberry.ID = strawberry.field(description="The patient treated.")
    procedure_code: str = strawberry.field(description="The catalogue procedure code.")
    procedure_name: str = strawberry.field(description="The catalogue procedure name.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for the whole mouth.")
    surfaces: str = strawberry.field(description="Surfaces in canonical order.")
    fee_pence: int = strawberry.field(description="The fee in integer pence.")
    nhs_band: NhsBand | None = strawberry.field(  # type: ignore[valid-type]
        description="NHS charge band where one applies."
    )
    completed_at: datetime = strawberry.field(description="When it was done.")
    patient_uuid: strawberry.Private[UUID]
    practice_uuid: strawberry.Private[UUID]

    def read_record(self) -> ReadRecord:
        return ReadRecord("TreatmentPlanItem", self.item_id, self.patient_uuid, self.practice_uuid)

    @classmethod
    def from_model(cls, row: ItemModel, names: dict[UUID, str]) -> CompletedPlanItem:
        assert row.completed_at is not None
        return cls(
            item_id=_id(row.id),
            patient_id=_id(row.patient_id),
            procedure_code=row.code,
            procedure_name=names.get(UUID(str(row.procedure_id)), row.code),
            tooth_fdi=row.tooth,
            surfaces=row.surfaces,
            fee_pence=row.fee_pence,
            nhs_band=_band(row.nhs_band),
            completed_at=row.completed_at,
            patient_uuid=UUID(str(row.patient_id)),
            practice_uuid=UUID(str(row.practice_id)),
        )


@strawberry.input(description="A new, empty PROPOSED plan for a patient.")
class CreateTreatmentPlanInput(IdFields):
    patient_id: strawberry.ID = strawberry.field(description="The patient.")


@strawberry.input(description="A plan to act on (its newest version).")
class TreatmentPlanIdInput(IdFields):
    plan_id: strawberry.ID = strawberry.field(description="The plan.")


@strawberry.input(description="A plan item to act on.")
class PlanItemIdInput(IdFields):
    item_id: strawberry.ID = strawberry.field(description="The plan item.")


@strawberry.input(description="A procedure to add to a PROPOSED plan.")
class AddPlanItemInput(IdFields):
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    code: str = strawberry.field(description="A code of the practice's catalogue.")
    tooth: str | None = strawberry.field(
        default=None, description="The tooth in `notation`; null for a whole-mouth procedure."
    )
    surfaces: str = strawberry.field(default="", description="Surface letters in any order.")
    phase: int = strawberry.field(default=1, description="The phase (1-20).")
    fee_pence: int | None = strawberry.field(
        default=None,
        description="The fee in pence; default the practice's fee schedule price in force "
        "today, else the catalogue's fee.",
    )
    notation: ToothNotation | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How `tooth` is written; default your toothNotation."
    )


@strawberry.input(description="Changes to an item of a PROPOSED plan; null leaves a value.")
class UpdatePlanItemInput(IdFields):
    item_id: strawberry.ID = strawberry.field(description="The plan item.")
    tooth: str | None = strawberry.field(default=None, description="The new tooth.")
    surfaces: str | None = strawberry.field(default=None, description="The new surfaces.")
    phase: int | None = strawberry.field(default=None, description="The new phase.")
    fee_pence: int | None = strawberry.field(default=None, description="The new fee in pence.")
    notation: ToothNotation | None = strawberry.field(  # type: ignore[valid-type]
        default=None, description="How `tooth` is written; default your toothNotation."
    )


@strawberry.input(description="The patient's signed acceptance of a PROPOSED plan.")
class AcceptTreatmentPlanInput(IdFields):
    plan_id: strawberry.ID = strawberry.field(description="The plan.")
    signed_name: str = strawberry.field(description="The name the patient typed.")
    signature_base64: str = strawberry.field(
        description="The signature image (PNG or JPEG, at most 64 KiB), base64."
    )
    signature_content_type: str = strawberry.field(
        description="`image/png` or `image/jpeg` (checked against the bytes)."
    )


@strawberry.type(description="The plan version after the change.")
class TreatmentPlanPayload:
    plan: TreatmentPlan | None = strawberry.field(description="The plan version changed.")
