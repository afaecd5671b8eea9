"""Inputs and payloads of the diary's mutations (DESIGN §6: ``<Verb><Noun>Input/Payload``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graph.ids import IdFields
from graph.schema.scheduling import Appointment, AppointmentStatus, Recall, SlotHold, WaitlistEntry
from graph.schema.scheduling_kinds import CancellationReason, RecallKind


@strawberry.input(description="A new appointment. The end defaults to the type's duration.")
class BookAppointmentInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice whose diary is booked.")
    patient_id: strawberry.ID = strawberry.field(description="A patient of the practice.")
    practitioner_id: strawberry.ID = strawberry.field(
        description="Who sees the patient; their role must be allowed for the type.",
    )
    appointment_type_id: strawberry.ID = strawberry.field(
        description="Kind of appointment; sets the default length and the buffer after.",
    )
    starts_at: datetime = strawberry.field(
        description="Start, ISO 8601 with offset; not in the past unless the practice allows it.",
    )
    ends_at: datetime | None = strawberry.field(
        default=None,
        description=(
            "End, ISO 8601 with offset; default start plus the type's duration; at most 12 hours."
        ),
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the session's room, then the practitioner's."
    )
    resource_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description="Extra staff or equipment to book with it.",
    )
    reception_notes: str | None = strawberry.field(
        default=None,
        description="Front-desk notes, up to 2000 characters.",
    )
    clinical_note: str | None = strawberry.field(
        default=None,
        description="Clinical note, up to 2000 characters (encrypted).",
    )
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A hold of this slot to turn into the booking."
    )


@strawberry.input(description="A new time (and optionally practitioner or room).")
class RescheduleAppointmentInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(
        description="A BOOKED or CONFIRMED appointment; it goes back to BOOKED.",
    )
    starts_at: datetime = strawberry.field(description="New start, ISO 8601 with offset.")
    ends_at: datetime | None = strawberry.field(
        default=None,
        description="New end, ISO 8601 with offset; default keeps the current length.",
    )
    practitioner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="New practitioner; null keeps the current one.",
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description=(
            "New room; null keeps the room (with a new practitioner: session's, then their "
            "default room)."
        ),
    )


@strawberry.input(description="Cancel a booked or confirmed appointment.")
class CancelAppointmentInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(
        description="A BOOKED or CONFIRMED appointment.",
    )
    reason: str = strawberry.field(
        description="Why it was cancelled; required, up to 300 characters.",
    )
    reason_code: CancellationReason | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The reason as reports count it (cancellationReasonsReport); null: uncoded.",
    )


@strawberry.input(description="Move an appointment along its workflow.")
class SetAppointmentStatusInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(description="The appointment to move.")
    status: AppointmentStatus = strawberry.field(  # type: ignore[valid-type]
        description=(
            "Target status; must be an allowed move. CANCELLED goes through cancelAppointment."
        ),
    )


@strawberry.input(description="Mark a patient's call request as dealt with.")
class ResolveCallRequestInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(
        description="The appointment whose call request (needsCall) was dealt with."
    )


@strawberry.type(description="The new booking.")
class BookAppointmentPayload:
    appointment: Appointment = strawberry.field(description="The new appointment.")


@strawberry.type(description="The moved appointment.")
class RescheduleAppointmentPayload:
    appointment: Appointment = strawberry.field(description="The appointment at its new time.")


@strawberry.type(description="The cancelled appointment.")
class CancelAppointmentPayload:
    appointment: Appointment = strawberry.field(description="The appointment, now CANCELLED.")


@strawberry.type(description="The appointment in its new status.")
class SetAppointmentStatusPayload:
    appointment: Appointment = strawberry.field(description="The appointment in its new status.")


@strawberry.type(description="The appointment with its call request cleared.")
class ResolveCallRequestPayload:
    appointment: Appointment = strawberry.field(description="The appointment, needsCall now false.")


@strawberry.input(description="Reserve a slot for a few minutes.")
class HoldSlotInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(
        description="Practice whose diary holds the slot.",
    )
    practitioner_id: strawberry.ID = strawberry.field(
        description="Practitioner whose time is held.",
    )
    appointment_type_id: strawberry.ID = strawberry.field(
        description="Kind of appointment; sets the held length and buffer.",
    )
    starts_at: datetime = strawberry.field(description="Start of the slot, ISO 8601 with offset.")
    room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Defaults to the session's room, then the practitioner's.",
    )
    minutes: int | None = strawberry.field(default=None, description="Default 5, at most 30.")


@strawberry.type(description="The new slot hold.")
class HoldSlotPayload:
    hold: SlotHold = strawberry.field(
        description="The new hold; book with its id as holdId before it expires.",
    )


@strawberry.input(description="Give back a held slot before it expires.")
class ReleaseSlotInput(IdFields):
    hold_id: strawberry.ID = strawberry.field(description="An ACTIVE hold.")


@strawberry.type(description="The released hold.")
class ReleaseSlotPayload:
    hold: SlotHold = strawberry.field(description="The hold, now RELEASED.")


@strawberry.input(description="Set a patient's recall interval (and optionally its due date).")
class SetRecallInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The patient's practice.")
    patient_id: strawberry.ID = strawberry.field(description="A patient of the practice.")
    kind: RecallKind = strawberry.field(description="Which routine visit.")  # type: ignore[valid-type]
    interval_months: int = strawberry.field(description="Months between recalls, 1-60.")
    due_on: date | None = strawberry.field(
        default=None,
        description="Next due date, YYYY-MM-DD; default today (practice time) plus the interval.",
    )


@strawberry.type(description="The recall after the change.")
class SetRecallPayload:
    recall: Recall = strawberry.field(
        description="The patient's recall of that kind, created or updated.",
    )


@strawberry.input(description="Put a patient on the waitlist for an earlier slot.")
class AddToWaitlistInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice whose diary is watched.")
    patient_id: strawberry.ID = strawberry.field(description="A patient of the practice.")
    appointment_type_id: strawberry.ID = strawberry.field(description="Kind of appointment wanted.")
    practitioner_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Only this practitioner; null for any.",
    )
    weekdays: list[int] = strawberry.field(
        default_factory=list,
        description="Acceptable days, 0 (Monday) to 6; empty for any day.",
    )
    earliest_minute: int = strawberry.field(
        default=0,
        description="Earliest start, minutes after local midnight; default 0.",
    )
    latest_minute: int = strawberry.field(
        default=1440,
        description="Start before this, minutes after local midnight (up to 1440); default 1440.",
    )


@strawberry.type(description="The new waitlist entry.")
class AddToWaitlistPayload:
    entry: WaitlistEntry = strawberry.field(description="The new waitlist entry.")


@strawberry.type(description="Done; the id of what was removed.")
class RemovedPayload:
    id: strawberry.ID
