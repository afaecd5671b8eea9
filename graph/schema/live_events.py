"""Real-time event types: what a board or a patient screen receives on a subscription.

Events are built by the fan-out once per (topic, permission set) from the stored domain event,
so a field a group may not read is never even rendered for it; ``@requires`` still guards the
field per subscriber.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from uuid import UUID

import strawberry

from graph.permissions.fields import requires
from graph.schema.board_rows import schedule_appointments
from graph.schema.event_changes import (
    CONSENT_PREVIOUS,
    SCHEDULE_PREVIOUS,
    AppointmentChange,
    EventActor,
    actor,
    appointment_change,
)
from graph.schema.scheduling import ScheduleAppointment
from realtime.envelopes import StoredEvent
from services.notices import NOTICE_TYPE, Severity
from services.policy import Scope
from services.scheduling import live


@strawberry.enum(description="What happened on the board.")
class ScheduleEventKind(Enum):
    NOTICE = "practice.notice"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    APPOINTMENT_STATUS_CHANGED = "appointment.status_changed"
    APPOINTMENT_CALL_REQUESTED = "appointment.call_requested"
    APPOINTMENT_CALL_RESOLVED = "appointment.call_resolved"
    SLOT_HELD = "slot.held"
    SLOT_RELEASED = "slot.released"
    WAITLIST_OFFERED = "waitlist.offered"
    SETUP_CHANGED = "setup.changed"


@strawberry.enum(description="Which kind of set-up item changed (SETUP_CHANGED events).")
class SetupEntity(Enum):
    ROOM = "ROOM"
    PRACTITIONER = "PRACTITIONER"
    APPOINTMENT_TYPE = "APPOINTMENT_TYPE"
    RESOURCE = "RESOURCE"
    WORKING_SESSION = "WORKING_SESSION"
    ABSENCE = "ABSENCE"
    CLOSURE = "CLOSURE"
    OPENING_HOURS = "OPENING_HOURS"
    REGISTRATION = "REGISTRATION"


@strawberry.enum(description="What happened to the set-up item (SETUP_CHANGED events).")
class SetupChangeKind(Enum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    ARCHIVED = "ARCHIVED"
    REACTIVATED = "REACTIVATED"
    REMOVED = "REMOVED"


@strawberry.enum(description="What happened to a patient's consent.")
class ConsentEventKind(Enum):
    GRANTED = "consent.granted"
    WITHDRAWN = "consent.withdrawn"
    UPDATED = "consent.updated"


NoticeSeverity = strawberry.enum(
    Severity, name="NoticeSeverity", description="How loud a notice is."
)

_SCHEDULE_KINDS = {kind.value: kind for kind in ScheduleEventKind}
_CONSENT_KINDS = {kind.value: kind for kind in ConsentEventKind}


def _id(value: object) -> strawberry.ID | None:
    return None if value is None else strawberry.ID(str(value))


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@strawberry.type(description="A practice-wide message shown on every board of the practice.")
class PracticeNotice:
    id: strawberry.ID
    message: str = strawberry.field(description="The notice as staff see it.")
    severity: NoticeSeverity = strawberry.field(description="How prominently boards show it.")  # type: ignore[valid-type]
    clinical_detail: str | None = strawberry.field(
        description="Detail for clinicians only.", extensions=requires(Scope.CLINICAL_READ)
    )
    posted_by_id: strawberry.ID | None = strawberry.field(description="The staff member.")
    expires_at: datetime | None = strawberry.field(description="When boards should drop it.")
    practice_id: strawberry.Private[UUID]


@strawberry.type(
    description="A change to the diary's set-up: boards reload their columns, types and hours."
)
class ScheduleSetupChange:
    entity: SetupEntity = strawberry.field(description="Which kind of item changed.")
    id: strawberry.ID = strawberry.field(description="The item that changed.")
    change: SetupChangeKind = strawberry.field(description="What happened to it.")
    affected_appointment_ids: list[strawberry.ID] = strawberry.field(
        description=(
            "Live bookings the change left outside bookable time (accepted by the person who "
            "made it), to flag for rebooking; usually empty."
        )
    )


@strawberry.type(description="A change on a practice's board; `sequence` resumes with `since`.")
class ScheduleEvent:
    kind: ScheduleEventKind = strawberry.field(description="What happened.")
    sequence: int = strawberry.field(
        description="Increasing per practice, shared by all its streams; pass as `since`."
    )
    occurred_at: datetime = strawberry.field(description="When it happened, ISO 8601 with offset.")
    practice_id: strawberry.ID = strawberry.field(description="The practice whose board changed.")
    appointment_id: strawberry.ID | None = strawberry.field(
        description="The appointment that changed (set for APPOINTMENT_* kinds)."
    )
    appointment: ScheduleAppointment | None = strawberry.field(
        default=None,
        description=(
            "The changed appointment as the board shows it when the event is delivered: its "
            "CURRENT state, which may already include later changes (a replayed or delayed "
            "APPOINTMENT_STATUS_CHANGED to CONFIRMED may show ARRIVED). What this event did is "
            "in `change` (APPOINTMENT_* kinds)."
        ),
    )
    change: AppointmentChange | None = strawberry.field(
        default=None,
        description=(
            "What this event did to the appointment, as recorded when it committed: the state "
            "before and after (APPOINTMENT_* kinds)."
        ),
    )
    actor: EventActor | None = strawberry.field(
        default=None,
        description="Who made the change (null for events recorded before actors were).",
    )
    previous_sequence: int | None = strawberry.field(default=None, description=SCHEDULE_PREVIOUS)
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="The hold that was taken or ended (SLOT_* kinds)."
    )
    waitlist_entry_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="The waitlist entry offered the freed span (WAITLIST_OFFERED).",
    )
    starts_at: datetime | None = strawberry.field(description="Start of the changed time span.")
    ends_at: datetime | None = strawberry.field(description="End of the changed time span.")
    notice: PracticeNotice | None = strawberry.field(description="Set when kind is NOTICE.")
    setup_change: ScheduleSetupChange | None = strawberry.field(
        default=None,
        description=(
            "Set when kind is SETUP_CHANGED (a room, practitioner, appointment type, resource, "
            "working session, absence, closure or opening hours changed); such events reach "
            "every board of the practice whatever its from/to."
        ),
    )


@strawberry.type(description="A change to a patient's consent.")
class ConsentEvent:
    kind: ConsentEventKind = strawberry.field(description="What happened.")
    sequence: int = strawberry.field(
        description="Increasing per practice, shared by all its streams; pass as `since`."
    )
    occurred_at: datetime = strawberry.field(description="When it happened, ISO 8601 with offset.")
    practice_id: strawberry.ID = strawberry.field(description="The patient's practice.")
    patient_id: strawberry.ID = strawberry.field(description="The patient whose consent changed.")
    consent_id: strawberry.ID | None = strawberry.field(description="The new consent ledger entry.")
    purpose: str | None = strawberry.field(
        default=None, description="The consent purpose that changed, e.g. DATA_SHARING."
    )
    granted: bool | None = strawberry.field(
        default=None, description="Whether the new entry grants (true) or withdraws consent."
    )
    actor: EventActor | None = strawberry.field(
        default=None,
        description="Who recorded the change (null for events recorded before actors were).",
    )
    previous_sequence: int | None = strawberry.field(default=None, description=CONSENT_PREVIOUS)


def _notice(event: StoredEvent, scopes: frozenset[str]) -> PracticeNotice:
    data = event.payload
    clinical = Scope.CLINICAL_READ.value in scopes
    return PracticeNotice(
        id=strawberry.ID(str(event.entity_id)),
        message=str(data.get("message", "")),
        severity=Severity(data.get("severity", Severity.INFO.value)),
        clinical_detail=data.get("clinical_detail") if clinical else None,
        posted_by_id=_id(data.get("posted_by")),
        expires_at=_time(data.get("expires_at")),
        practice_id=event.practice_id,
    )


def _setup_change(event: StoredEvent) -> ScheduleSetupChange:
    data = event.payload
    return ScheduleSetupChange(
        entity=SetupEntity(data["entity"]),
        id=strawberry.ID(str(event.entity_id)),
        change=SetupChangeKind(data["change"]),
        affected_appointment_ids=[
            strawberry.ID(str(a)) for a in data.get("affected_appointment_ids", [])
        ],
    )


_LOADED: OrderedDict[tuple[UUID, int], ScheduleAppointment | None] = OrderedDict()
_LOADED_SIZE = 512


async def _appointment(event: StoredEvent) -> ScheduleAppointment | None:
    """The event's appointment, read once per event and shared by every group's render."""
    key = (event.practice_id, event.sequence)
    if key in _LOADED:
        return _LOADED[key]
    found = None
    if event.entity_id is not None:
        row = await live.board_row(event, event.entity_id)
        found = schedule_appointments([row], event.practice_id)[0] if row else None
    _LOADED[key] = found
    while len(_LOADED) > _LOADED_SIZE:
        _LOADED.popitem(last=False)
    return found


def _visible(appointment: ScheduleAppointment, scopes: frozenset[str]) -> ScheduleAppointment:
    """A group's copy without what it may not read (``@requires`` still checks each field)."""
    return dataclasses.replace(
        appointment,
        patient=appointment.patient if Scope.PATIENT_READ.value in scopes else None,
        sealed_note=appointment.sealed_note if Scope.CLINICAL_READ.value in scopes else None,
    )


def schedule_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    """Renders board events for one permission set (called once per group per event)."""

    async def render(event: StoredEvent) -> ScheduleEvent | None:
        kind = _SCHEDULE_KINDS.get(event.type)
        if kind is None:
            return None
        is_notice = event.type == NOTICE_TYPE
        family = event.type.split(".", 1)[0]
        appointment = await _appointment(event) if family == "appointment" else None
        return ScheduleEvent(
            kind=kind,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            practice_id=strawberry.ID(str(event.practice_id)),
            appointment_id=_id(event.entity_id) if family == "appointment" else None,
            appointment=_visible(appointment, scopes) if appointment else None,
            hold_id=_id(event.entity_id) if family == "slot" else None,
            waitlist_entry_id=_id(event.entity_id) if family == "waitlist" else None,
            starts_at=_time(event.payload.get("starts_at")),
            ends_at=_time(event.payload.get("ends_at")),
            notice=_notice(event, scopes) if is_notice else None,
            setup_change=_setup_change(event) if family == "setup" else None,
            change=appointment_change(event) if family == "appointment" else None,
            actor=actor(event),
            previous_sequence=event.previous_sequence,
        )

    return render


def consent_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> ConsentEvent | None:
        kind = _CONSENT_KINDS.get(event.type)
        if kind is None or event.patient_id is None:
            return None
        return ConsentEvent(
            kind=kind,
            sequence=event.sequence,
            occurred_at=event.occurred_at,
            practice_id=strawberry.ID(str(event.practice_id)),
            patient_id=strawberry.ID(str(event.patient_id)),
            consent_id=_id(event.entity_id),
            purpose=event.payload.get("purpose"),
            granted=event.payload.get("granted"),
            actor=actor(event),
            previous_sequence=event.previous_sequence,
        )

    return render


def in_window(start: datetime | None, end: datetime | None) -> Callable[[object], bool]:
    """Narrows a board to a time span; practice-wide events (no span) always pass."""

    def accepts(item: object) -> bool:
        if not isinstance(item, ScheduleEvent) or item.starts_at is None:
            return True
        ends = item.ends_at or item.starts_at
        return (end is None or item.starts_at < end) and (start is None or ends > start)

    return accepts


def for_patient(patient_id: UUID) -> Callable[[object], bool]:
    wanted = str(patient_id)
    return lambda item: isinstance(item, ConsentEvent) and item.patient_id == wanted


@strawberry.input(description="A notice for every board of one practice.")
class AnnouncePracticeNoticeInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice whose boards show it.")
    message: str = strawberry.field(description="Up to 500 characters; no patient data.")
    severity: NoticeSeverity = strawberry.field(  # type: ignore[valid-type]
        default=Severity.INFO,
        description="How prominently boards show it; default INFO.",
    )
    clinical_detail: str | None = strawberry.field(
        default=None, description="Shown to clinicians only (up to 2000 characters)."
    )
    expires_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "When boards should drop it, ISO 8601 with offset; must be in the future. Null: no "
            "expiry."
        ),
    )


@strawberry.type(description="The posted notice and its place on the practice's feed.")
class AnnouncePracticeNoticePayload:
    notice: PracticeNotice = strawberry.field(description="The notice as posted.")
    sequence: int = strawberry.field(description="The event's sequence on the practice's feed.")
