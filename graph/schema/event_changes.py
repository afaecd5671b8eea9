"""What a live event says happened, as recorded with the change when it committed.

The outbox row of every change carries the change itself (``services.scheduling.change_records``,
``services.actors``): the appointment's state before and after, who made it. These types show
that record as it is, never re-read, so a CONFIRMED event says CONFIRMED even when it is
delivered (or replayed) after the patient has arrived.
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Any

import strawberry

from graph.schema.scheduling import AppointmentStatus
from realtime.envelopes import StoredEvent
from services import actors
from services.scheduling.change_records import NEEDS_CALL, SNAPSHOT_FIELDS
from services.scheduling.workflow import Status


@strawberry.enum(description="Who made a change.")
class ActorKind(Enum):
    STAFF = actors.STAFF
    PATIENT = actors.PATIENT
    PARTNER = actors.PARTNER
    SYSTEM = actors.SYSTEM


@strawberry.type(
    description=(
        "Who made the change an event reports, as any reader of the event may see it: a staff "
        "member by id and role; a patient (portal) or a partner app by kind only; automatic "
        "changes (an expired hold, a waitlist offer) as SYSTEM."
    )
)
class EventActor:
    kind: ActorKind = strawberry.field(description="Staff, patient, partner app or the system.")
    user_id: strawberry.ID | None = strawberry.field(
        description="The staff member who made the change (STAFF only)."
    )
    role: str | None = strawberry.field(
        description="The staff member's role, e.g. RECEPTIONIST (STAFF only)."
    )


@strawberry.type(description="Where, when and in which status an appointment is.")
class AppointmentState:
    status: AppointmentStatus = strawberry.field(description="Where the visit is in the workflow.")  # type: ignore[valid-type]
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End (exclusive), ISO 8601 with offset.")
    practitioner_id: strawberry.ID = strawberry.field(description="Who sees the patient.")
    room_id: strawberry.ID = strawberry.field(description="Where it takes place.")
    needs_call: bool | None = strawberry.field(
        description="Whether a call the patient asked for was waiting (see "
        "ScheduleAppointment.needsCall); null in events recorded before call requests were."
    )


@strawberry.type(
    description=(
        "What an APPOINTMENT_* event did, recorded when the change committed (never re-read): "
        "the appointment's state before and after the change. Who made it is the event's "
        "`actor`, when is its `occurredAt`."
    )
)
class AppointmentChange:
    before: AppointmentState | None = strawberry.field(
        description="The state before the change; null for APPOINTMENT_BOOKED."
    )
    after: AppointmentState = strawberry.field(
        description=(
            "The state the change left it in (for APPOINTMENT_STATUS_CHANGED, `before.status` "
            "→ `after.status` is the transition made)."
        )
    )


def _state(values: Any) -> AppointmentState | None:
    if not isinstance(values, dict) or any(name not in values for name in SNAPSHOT_FIELDS):
        return None
    return AppointmentState(
        status=Status(values["status"]),
        starts_at=datetime.fromisoformat(values["starts_at"]),
        ends_at=datetime.fromisoformat(values["ends_at"]),
        practitioner_id=strawberry.ID(str(values["practitioner_id"])),
        room_id=strawberry.ID(str(values["room_id"])),
        needs_call=values.get(NEEDS_CALL) if isinstance(values.get(NEEDS_CALL), bool) else None,
    )


def appointment_change(event: StoredEvent) -> AppointmentChange | None:
    """The change an appointment event recorded (``None`` for a malformed old row)."""
    after = _state(event.payload)
    if after is None:
        return None
    return AppointmentChange(before=_state(event.payload.get("previous")), after=after)


def actor(event: StoredEvent) -> EventActor | None:
    """Who made the change; ``None`` for events recorded before actors were."""
    recorded = event.payload.get(actors.KEY)
    if not isinstance(recorded, dict) or recorded.get("kind") not in actors.KINDS:
        return None
    staff = recorded["kind"] == actors.STAFF
    user_id = recorded.get("user_id") if staff else None
    return EventActor(
        kind=ActorKind(recorded["kind"]),
        user_id=strawberry.ID(str(user_id)) if user_id else None,
        role=str(recorded["role"]) if staff and recorded.get("role") else None,
    )


_PREVIOUS = (
    "The `sequence` of the previous event of this event's stream (0: none), recorded when it "
    "committed; null for events recorded before streams were tracked. Sequences are shared by "
    "every stream of the practice, so gaps in `sequence` alone mean nothing: if "
    "`previousSequence` equals the last `sequence` this subscription received, nothing was "
    "missed. {stream}"
)
SCHEDULE_PREVIOUS = _PREVIOUS.format(
    stream="The stream is every scheduleChanged event of the practice; if it is higher, the "
    "events in between lay outside your `from`/`to` or were lost (resubscribe with `since`)."
)
CONSENT_PREVIOUS = _PREVIOUS.format(
    stream="The stream is this patient's consent events; if it is higher, events were lost "
    "(resubscribe with `since`)."
)

__all__ = [
    "CONSENT_PREVIOUS",
    "SCHEDULE_PREVIOUS",
    "ActorKind",
    "AppointmentChange",
    "AppointmentState",
    "EventActor",
    "actor",
    "appointment_change",
]
