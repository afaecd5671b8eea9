"""Treatment plan queries and mutations: parse ids, call one service, map back.

Every plan version a query returns is put in the request's read trail (entity
``TreatmentPlan``) by ``AuditReads`` with the fields selected; the billing work list records
each item it shows the same way.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.treatment_plans import (
    AcceptTreatmentPlanInput,
    AddPlanItemInput,
    CompletedPlanItem,
    CreateTreatmentPlanInput,
    PlanItemIdInput,
    TreatmentPlan,
    TreatmentPlanIdInput,
    TreatmentPlanPayload,
    UpdatePlanItemInput,
)
from services.clinical import plans
from services.clinical.teeth import Notation
from services.policy import Scope


def _payload(view: plans.PlanView) -> TreatmentPlanPayload:
    return TreatmentPlanPayload(plan=TreatmentPlan.from_view(view))


def _notation(value: object) -> Notation | None:
    return None if value is None else Notation(str(value))


@strawberry.type
class TreatmentPlanQueries:
    @strawberry.field(
        description="A patient's treatment plans, each at its newest version (clinical:read "
        "in the patient's practice). Each plan read is audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def treatment_plans(
        self, info: Info, patient_id: strawberry.ID
    ) -> list[TreatmentPlan] | None:
        found = await plans.plans_of(
            info.context.principal, patient_id=id_argument(patient_id=patient_id)
        )
        return [TreatmentPlan.from_view(v) for v in found]

    @strawberry.field(
        description="One treatment plan at a version (default its newest); a signed, "
        "superseded version stays readable (clinical:read). Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def treatment_plan(
        self,
        info: Info,
        id: strawberry.ID,
        version: Annotated[
            int | None, strawberry.argument(description="The version; default the newest.")
        ] = None,
    ) -> TreatmentPlan | None:
        found = await plans.plan(
            info.context.principal, plan_id=id_argument(id=id), version=version
        )
        return TreatmentPlan.from_view(found)

    @strawberry.field(
        description="Completed plan items not yet invoiced, oldest first, with their fees "
        "(clinical:read and billing:read in the practice). Each item shown is audited.",
        extensions=[*requires(Scope.CLINICAL_READ, Scope.BILLING_READ), AuditReads()],
    )
    async def completed_not_invoiced(
        self,
        info: Info,
        practice_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[CompletedPlanItem] | None:
        size = page_size(first)
        found = await plans.completed_not_invoiced(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            first=size,
            after=after_key(after, datetime, UUID),
        )
        return Connection[CompletedPlanItem].build(
            found.items,
            lambda i: CompletedPlanItem.from_model(i, found.procedure_names),
            lambda i: [i.completed_at.isoformat() if i.completed_at else "", str(i.id)],
            has_next=found.has_next,
        )


@strawberry.type
class TreatmentPlanMutations:
    @strawberry.mutation(description="Start an empty PROPOSED plan for a patient (clinical:write).")
    async def create_treatment_plan(
        self, info: Info, input: CreateTreatmentPlanInput
    ) -> TreatmentPlanPayload | None:
        return _payload(await plans.create(info.context.principal, patient_id=input.ids.patient_id))

    @strawberry.mutation(
        description="Add a catalogue procedure to a PROPOSED plan; the tooth and surfaces are "
        "checked against the procedure's rules; the fee defaults from the catalogue "
        "(clinical:write)."
    )
    async def add_plan_item(
        self, info: Info, input: AddPlanItemInput
    ) -> TreatmentPlanPayload | None:
        return _payload(
            await plans.add_item(
                info.context.principal,
                plan_id=input.ids.plan_id,
                new=plans.NewItem(
                    code=input.code,
                    tooth=input.tooth,
                    surfaces=input.surfaces,
                    phase=input.phase,
                    fee_pence=input.fee_pence,
                    notation=_notation(input.notation),
                ),
            )
        )

    @strawberry.mutation(description="Change an item of a PROPOSED plan (clinical:write).")
    async def update_plan_item(
        self, info: Info, input: UpdatePlanItemInput
    ) -> TreatmentPlanPayload | None:
        return _payload(
            await plans.update_item(
                info.context.principal,
                item_id=input.ids.item_id,
                change=plans.ItemChange(
                    tooth=input.tooth,
                    surfaces=input.surfaces,
                    phase=input.phase,
                    fee_pence=input.fee_pence,
                    notation=_notation(input.notation),
                ),
            )
        )

    @strawberry.mutation(description="Remove an item from a PROPOSED plan (clinical:write).")
    async def remove_plan_item(
        self, info: Info, input: PlanItemIdInput
    ) -> TreatmentPlanPayload | None:
        return _payload(await plans.remove_item(info.context.principal, item_id=input.ids.item_id))

    @strawberry.mutation(
        description="Propose a new version of an accepted, in-progress or declined plan with "
        "the items not yet done; the old version becomes SUPERSEDED (clinical:write)."
    )
    async def propose_new_version(
        self, info: Info, input: TreatmentPlanIdInput
    ) -> TreatmentPlanPayload | None:
        return _payload(
            await plans.propose_new_version(info.context.principal, plan_id=input.ids.plan_id)
        )

    @strawberry.mutation(
        description="Record the patient's acceptance of a PROPOSED plan: typed name, signature "
        "image (stored as a SIGNATURE document), time, you as witness, a TREATMENT consent; the "
        "version is frozen as a snapshot with its hash (clinical:write)."
    )
    async def accept_treatment_plan(
        self, info: Info, input: AcceptTreatmentPlanInput
    ) -> TreatmentPlanPayload | None:
        return _payload(
            await plans.accept(
                info.context.principal,
                plan_id=input.ids.plan_id,
                acceptance=plans.Acceptance(
                    signed_name=input.signed_name,
                    signature_base64=input.signature_base64,
                    signature_content_type=input.signature_content_type,
                ),
            )
        )

    @strawberry.mutation(description="Record that the patient declined a PROPOSED plan.")
    async def decline_treatment_plan(
        self, info: Info, input: TreatmentPlanIdInput
    ) -> TreatmentPlanPayload | None:
        return _payload(await plans.decline(info.context.principal, plan_id=input.ids.plan_id))

    @strawberry.mutation(
        description="Complete an item of an accepted plan: records the COMPLETED procedure on "
        "the tooth chart and moves the recall the procedure names (clinical:write)."
    )
    async def complete_plan_item(
        self, info: Info, input: PlanItemIdInput
    ) -> TreatmentPlanPayload | None:
        return _payload(
            await plans.complete_item(info.context.principal, item_id=input.ids.item_id)
        )
