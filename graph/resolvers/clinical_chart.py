"""Tooth chart and procedure catalogue queries and mutations.

A chart read is recorded in the request's read trail by ``AuditReads`` (entity ``ToothChart``,
the patient, and the field names selected), written as one audit batch when the operation ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.clinical_chart import (
    AddProcedureInput,
    ChartEntry,
    ProcedureItem,
    ProcedurePayload,
    RecordChartEntryInput,
    RecordChartEntryPayload,
    SetToothNotationInput,
    SetToothNotationPayload,
    ToothChart,
    ToothNotation,
    UpdateProcedureInput,
    VoidChartEntryInput,
    VoidChartEntryPayload,
)
from graph.schema.pagination import Connection, after_key, page_size
from services.clinical import catalogue, chart, teeth
from services.policy import Scope


def _view(found: chart.EntryView) -> ChartEntry:
    return ChartEntry.from_state(found.state, found.notation, found.procedure_names)


@strawberry.type
class ClinicalChartQueries:
    @strawberry.field(
        description="A patient's tooth chart as it stood at `asOf` (default now). Needs "
        "clinical:read in the patient's practice; a patient reads their own. Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def tooth_chart(
        self,
        info: Info,
        patient_id: strawberry.ID,
        as_of: Annotated[
            datetime | None,
            strawberry.argument(description="The instant to show, with offset; default now."),
        ] = None,
        notation: Annotated[
            ToothNotation | None,  # type: ignore[valid-type]
            strawberry.argument(description="Notation for teeth; default your toothNotation."),
        ] = None,
        include_voided: Annotated[
            bool,
            strawberry.argument(description="Also list entries marked entered in error."),
        ] = False,
    ) -> ToothChart | None:
        found = await chart.chart(
            info.context.principal,
            patient_id=id_argument(patient_id=patient_id),
            as_of=as_of,
            notation=notation,
            include_voided=include_voided,
        )
        return ToothChart.from_chart(found)

    @strawberry.field(
        description="A practice's procedure catalogue (price list), ordered by code. Needs "
        "practice:read.",
        extensions=requires(Scope.PRACTICE_READ),
    )
    async def procedure_catalogue(
        self,
        info: Info,
        practice_id: strawberry.ID,
        include_archived: Annotated[
            bool, strawberry.argument(description="Also list archived procedures.")
        ] = False,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[ProcedureItem] | None:
        size = page_size(first)
        items = await catalogue.catalogue(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            include_archived=include_archived,
            after_code=after_key(after, str),
            limit=size + 1,
        )
        return Connection[ProcedureItem].build(
            items[:size],
            ProcedureItem.from_model,
            lambda i: [i.code],
            has_next=len(items) > size,
        )


@strawberry.type
class ClinicalChartMutations:
    @strawberry.mutation(
        description="Chart a condition or procedure on a tooth (clinical:write); a status "
        "change is a new entry that replaces the old one, which stays in the history."
    )
    async def record_chart_entry(
        self, info: Info, input: RecordChartEntryInput
    ) -> RecordChartEntryPayload | None:
        found = await chart.record(
            info.context.principal,
            chart.NewEntry(
                patient_id=input.ids.patient_id,
                kind=input.kind,
                code=input.code,
                tooth=input.tooth,
                surfaces=input.surfaces,
                status=input.status,
                notes=input.notes,
                replaces_id=input.optional_ids.replaces_id,
                notation=input.notation,
            ),
        )
        return RecordChartEntryPayload(entry=_view(found))

    @strawberry.mutation(
        description="Mark a chart entry ENTERED_IN_ERROR with a reason (clinical:write); the "
        "row is kept and charts before now still show it."
    )
    async def void_chart_entry(
        self, info: Info, input: VoidChartEntryInput
    ) -> VoidChartEntryPayload | None:
        found = await chart.void(
            info.context.principal,
            entry_id=input.ids.entry_id,
            reason=input.reason,
        )
        return VoidChartEntryPayload(entry=_view(found))

    @strawberry.mutation(description="Choose how you read tooth numbers (FDI by default).")
    async def set_tooth_notation(
        self, info: Info, input: SetToothNotationInput
    ) -> SetToothNotationPayload | None:
        stored = await chart.set_notation(info.context.principal, teeth.Notation(input.notation))
        return SetToothNotationPayload(notation=stored)

    @strawberry.mutation(description="Add a procedure to a practice's catalogue (practice:write).")
    async def add_procedure(self, info: Info, input: AddProcedureInput) -> ProcedurePayload | None:
        spec = input.spec()
        item = await catalogue.add(
            info.context.principal, practice_id=input.ids.practice_id, spec=spec
        )
        return ProcedurePayload(procedure=ProcedureItem.from_model(item), changed_fields=[])

    @strawberry.mutation(description="Change a catalogue procedure (practice:write).")
    async def update_procedure(
        self, info: Info, input: UpdateProcedureInput
    ) -> ProcedurePayload | None:
        item, changed = await catalogue.update(
            info.context.principal, item_id=input.ids.id, spec=input.spec()
        )
        return ProcedurePayload(procedure=ProcedureItem.from_model(item), changed_fields=changed)
