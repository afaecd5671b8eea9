"""Perio exam and BPE queries and mutations.

Each read of a patient's perio record is recorded in the request's read trail by ``AuditReads``
(entity ``PerioExam``, ``PerioComparison`` or ``BpeRecord``, the patient, and the field names
selected), written as one audit batch when the operation ends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.ids import id_argument, id_list_argument
from graph.permissions.fields import requires
from graph.schema.clinical_chart import ToothNotation
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.perio import (
    BpeRecord,
    CopyPreviousPerioExamInput,
    PerioComparison,
    PerioExam,
    PerioExamPayload,
    RecordBpeInput,
    RecordBpePayload,
    RecordPerioExamInput,
)
from services.clinical import bpe, perio
from services.policy import Scope

_NOTATION = strawberry.argument(description="Notation for teeth; default your toothNotation.")


@strawberry.type
class PerioQueries:
    @strawberry.field(
        description="A patient's perio exams, newest first. Needs clinical:read in the "
        "patient's practice; a patient reads their own. Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def perio_exams(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
        notation: Annotated[ToothNotation | None, _NOTATION] = None,  # type: ignore[valid-type]
    ) -> Connection[PerioExam] | None:
        page = await perio.exams(
            info.context.principal,
            id_argument(patient_id=patient_id),
            first=page_size(first),
            after=after_key(after, datetime, UUID),
            notation=notation,
        )
        return Connection[PerioExam].build(
            page.exams,
            PerioExam.from_view,
            lambda v: [v.exam.examined_at.isoformat(), str(v.exam.id)],
            has_next=page.has_next,
        )

    @strawberry.field(
        description="One perio exam. Needs clinical:read in the patient's practice. Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def perio_exam(
        self,
        info: Info,
        id: strawberry.ID,
        notation: Annotated[ToothNotation | None, _NOTATION] = None,  # type: ignore[valid-type]
    ) -> PerioExam | None:
        view = await perio.exam(info.context.principal, id_argument(id=id), notation)
        return PerioExam.from_view(view)

    @strawberry.field(
        description="Exams compared site by site (default: the two latest final exams). Needs "
        "clinical:read in the patient's practice. Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def perio_comparison(
        self,
        info: Info,
        patient_id: strawberry.ID,
        exam_ids: Annotated[
            list[strawberry.ID] | None,
            strawberry.argument(description="2-10 exams of the patient; default the last two."),
        ] = None,
        notation: Annotated[ToothNotation | None, _NOTATION] = None,  # type: ignore[valid-type]
    ) -> PerioComparison | None:
        found = await perio.comparison(
            info.context.principal,
            id_argument(patient_id=patient_id),
            None if exam_ids is None else id_list_argument(exam_ids=exam_ids),
            notation,
        )
        return PerioComparison.from_comparison(found)

    @strawberry.field(
        description="A patient's BPE records, newest first, with the follow-ups they raised. "
        "Needs clinical:read in the patient's practice. Audited.",
        extensions=[*requires(Scope.CLINICAL_READ), AuditReads()],
    )
    async def bpe_records(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[BpeRecord] | None:
        page = await bpe.records(
            info.context.principal,
            id_argument(patient_id=patient_id),
            first=page_size(first),
            after=after_key(after, datetime, UUID),
        )
        return Connection[BpeRecord].build(
            page.records,
            BpeRecord.from_view,
            lambda v: [v.record.examined_at.isoformat(), str(v.record.id)],
            has_next=page.has_next,
        )


@strawberry.type
class PerioMutations:
    @strawberry.mutation(
        description="Save a whole perio exam at once (clinical:write): new, or over a DRAFT. "
        "Every value is checked first; a fault names its path and nothing is saved.",
        extensions=requires(Scope.CLINICAL_WRITE),
    )
    async def record_perio_exam(
        self, info: Info, input: RecordPerioExamInput
    ) -> PerioExamPayload | None:
        view = await perio.record(
            info.context.principal,
            perio.NewExam(
                patient_id=input.ids.patient_id,
                teeth=[t.value() for t in input.teeth],
                exam_id=input.optional_ids.exam_id,
                examined_at=input.examined_at,
                final=input.final,
                notation=input.notation,
            ),
        )
        return PerioExamPayload(exam=PerioExam.from_view(view))

    @strawberry.mutation(
        description="Start a new DRAFT exam holding the last final exam's values (teeth "
        "missing since are dropped); save it with recordPerioExam and its examId.",
        extensions=requires(Scope.CLINICAL_WRITE),
    )
    async def copy_previous_perio_exam(
        self, info: Info, input: CopyPreviousPerioExamInput
    ) -> PerioExamPayload | None:
        view = await perio.copy_previous(info.context.principal, input.ids.patient_id)
        return PerioExamPayload(exam=PerioExam.from_view(view))

    @strawberry.mutation(
        description="Record a BPE (clinical:write). A code 3 raises a six-point chart of that "
        "sextant, a code 4 a full-mouth chart, as a follow-up naming this BPE.",
        extensions=requires(Scope.CLINICAL_WRITE),
    )
    async def record_bpe(self, info: Info, input: RecordBpeInput) -> RecordBpePayload | None:
        view = await bpe.record(
            info.context.principal,
            patient_id=input.ids.patient_id,
            codes=input.codes,
            examined_at=input.examined_at,
        )
        return RecordBpePayload(bpe=BpeRecord.from_view(view))
