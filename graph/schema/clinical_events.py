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


_KINDS = {
    "CHART_ENTRY_RECORDED": ClinicalChartEventKind.ENTRY_RECORDED,
    "CHART_ENTRY_VOIDED": ClinicalChartEventKind.ENTRY_VOIDED,
}


@strawberry.type(
    description="One change to a patient's tooth chart; read `toothChart` for the whole chart."
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
    entry_id: strawberry.ID = strawberry.field(description="The chart entry changed.")
    code: str = strawberry.field(description="Condition code or catalogue procedure code.")
    tooth_fdi: int | None = strawberry.field(description="FDI tooth; null for the whole mouth.")
    surfaces: str = strawberry.field(description="Surfaces in canonical order; empty for none.")
    status: str = strawberry.field(description="The entry's status; ENTERED_IN_ERROR if voided.")
    replaces_id: strawberry.ID | None = strawberry.field(
        description="The entry this one took the place of (a status change)."
    )
    actor: EventActor | None = strawberry.field(description="Who made the change.")


def clinical_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> ClinicalChartEvent | None:
        kind = _KINDS.get(event.type)
        if kind is None or event.patient_id is None or event.entity_id is None:
            return None  # catalogue changes and other clinical events are not chart events
        entry = await live.entry_of(event, event.entity_id)
        if entry is None:
            return None
        voided = entry.voided_at is not None
        return ClinicalChartEvent(
            kind=kind,
            sequence=event.sequence,
            previous_sequence=event.previous_sequence,
            occurred_at=event.occurred_at,
            practice_id=strawberry.ID(str(event.practice_id)),
            patient_id=strawberry.ID(str(event.patient_id)),
            entry_id=strawberry.ID(str(entry.id)),
            code=entry.code,
            tooth_fdi=entry.tooth,
            surfaces=entry.surfaces,
            status=EntryStatus.ENTERED_IN_ERROR.value if voided else entry.status,
            replaces_id=strawberry.ID(str(entry.replaces_id)) if entry.replaces_id else None,
            actor=actor(event),
        )

    return render


def for_chart_of(patient_id: UUID) -> Callable[[object], bool]:
    wanted = str(patient_id)
    return lambda item: isinstance(item, ClinicalChartEvent) and item.patient_id == wanted


__all__ = ["ClinicalChartEvent", "ClinicalChartEventKind", "clinical_renderer", "for_chart_of"]
