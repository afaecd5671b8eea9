"""Live chart events: what everyone looking at one patient's chart receives as it changes.

Rendered once per permission group from the stored event (ids only) and the entry it names;
``graph.schema.event_visibility`` then drops it for a subscriber who may not see the patient.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

from graph.schema.event_changes import EventActor, actor
from realtime.envelopes import StoredEvent
from services.clinical import live
from services.clinical.chart import EntryStatus


@strawberry.enum(description="What happened on the chart.")
class ClinicalChartEventKind(Enum):
    ENTRY_RECORDED = "ENTRY_RECORDED"
    ENTRY_VOIDED = "ENTRY_VOIDED"
    PERIO_EXAM_SAVED = "PERIO_EXAM_SAVED"
    BPE_RECORDED = "BPE_RECORDED"


_ENTRY_KINDS = {
    "CHART_ENTRY_RECORDED": ClinicalChartEventKind.ENTRY_RECORDED,
    "CHART_ENTRY_VOIDED": ClinicalChartEventKind.ENTRY_VOIDED,
}
_PERIO_KINDS = {
    "PERIO_EXAM_RECORDED": ClinicalChartEventKind.PERIO_EXAM_SAVED,
    "BPE_RECORDED": ClinicalChartEventKind.BPE_RECORDED,
}


@strawberry.type(
    description="One change to a patient's chart: an entry recorded or voided (its tooth, code "
    "and status here; `toothChart` for the whole chart), or a perio exam saved (drafts too, as "
    "they are charted) or a BPE recorded (read them with `perioExam` / `bpeRecords`)."
)
class ClinicalChartEvent:
    kind: ClinicalChartEventKind = strawberry.field(description="What happened.")
    sequence: int = strawberry.field(description="Pass as `since` to resume after this event.")
    previous_sequence: int | None = strawberry.field(
        description="This patient's previous chart event (a gap means one was missed)."
    )
    occurred_at: datetime = strawberry.field(description="When it was committed.")
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    patient_id: strawberry.ID = strawberry.field(description="The patient charted.")
    entry_id: strawberry.ID | None = strawberry.field(
        description="The chart entry changed; null for perio and BPE events."
    )
    code: str | None = strawberry.field(description="Condition or catalogue procedure code.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for the whole mouth.")
    surfaces: str | None = strawberry.field(description="Surfaces in canonical order.")
    status: str | None = strawberry.field(
        description="The entry's status; ENTERED_IN_ERROR if voided."
    )
    replaces_id: strawberry.ID | None = strawberry.field(
        description="The entry this one took the place of (a status change)."
    )
    perio_exam_id: strawberry.ID | None = strawberry.field(
        description="The perio exam saved (PERIO_EXAM_SAVED)."
    )
    bpe_id: strawberry.ID | None = strawberry.field(description="The BPE recorded (BPE_RECORDED).")
    actor: EventActor | None = strawberry.field(description="Who made the change.")


def clinical_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> ClinicalChartEvent | None:
        if event.patient_id is None or event.entity_id is None:
            return None  # catalogue changes are not about one patient's chart
        perio = _PERIO_KINDS.get(event.type)
        if perio is not None:
            about = strawberry.ID(str(event.entity_id))
            if perio is ClinicalChartEventKind.BPE_RECORDED:
                return _event(event, perio, bpe_id=about)
            return _event(event, perio, perio_exam_id=about)
        kind = _ENTRY_KINDS.get(event.type)
        if kind is None:
            return None
        entry = await live.entry_of(event, event.entity_id)
        if entry is None:
            return None
        voided = entry.voided_at is not None
        return _event(
            event,
            kind,
            entry_id=strawberry.ID(str(entry.id)),
            code=entry.code,
            tooth_fdi=entry.tooth,
            surfaces=entry.surfaces,
            status=EntryStatus.ENTERED_IN_ERROR.value if voided else entry.status,
            replaces_id=strawberry.ID(str(entry.replaces_id)) if entry.replaces_id else None,
        )

    return render


def _event(event: StoredEvent, kind: ClinicalChartEventKind, **about: object) -> ClinicalChartEvent:
    values: dict[str, object] = {
        "entry_id": None,
        "code": None,
        "tooth_fdi": None,
        "surfaces": None,
        "status": None,
        "replaces_id": None,
        "perio_exam_id": None,
        "bpe_id": None,
        **about,
    }
    return ClinicalChartEvent(
        kind=kind,
        sequence=event.sequence,
        previous_sequence=event.previous_sequence,
        occurred_at=event.occurred_at,
        practice_id=strawberry.ID(str(event.practice_id)),
        patient_id=strawberry.ID(str(event.patient_id)),
        actor=actor(event),
        **values,  # type: ignore[arg-type]
    )


def for_chart_of(patient_id: UUID) -> Callable[[object], bool]:
    wanted = str(patient_id)
    return lambda item: isinstance(item, ClinicalChartEvent) and item.patient_id == wanted


__all__ = ["ClinicalChartEvent", "ClinicalChartEventKind", "clinical_renderer", "for_chart_of"]
