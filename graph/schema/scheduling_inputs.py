"""Inputs and payloads of the diary's mutations (DESIGN §6: ``<Verb><Noun>Input/Payload``)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graph.schema.scheduling import Appointment, AppointmentStatus, Recall, SlotHold, WaitlistEntry


@strawberry.input(description="A new appointment. The end defaults to the type's duration.")
class BookAppointmentInput:
    practice_id: strawberry.ID
    patient_id: strawberry.ID
    practitioner_id: strawberry.ID
    appointment_type_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime | None = None
    room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Defaults to the session's room, then the practitioner's."
    )
    resource_ids: list[strawberry.ID] = strawberry.field(default_factory=list)
    reception_notes: str | None = None
    clinical_note: str | None = None
    hold_id: strawberry.ID | None = strawberry.field(
        default=None, description="A hold of this slot to turn into the booking."
    )


@strawberry.input(description="A new time (and optionally practitioner or room).")
class RescheduleAppointmentInput:
    appointment_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime | None = None
    practitioner_id: strawberry.ID | None = None
    room_id: strawberry.ID | None = None


@strawberry.input(description="Cancel a booked or confirmed appointment.")
class CancelAppointmentInput:
    appointment_id: strawberry.ID
    reason: str


@strawberry.input(description="Move an appointment along its workflow.")
class SetAppointmentStatusInput:
    appointment_id: strawberry.ID
    status: AppointmentStatus  # type: ignore[valid-type]


@strawberry.type(description="The new booking.")
class BookAppointmentPayload:
    appointment: Appointment


@strawberry.type(description="The moved appointment.")
class RescheduleAppointmentPayload:
    appointment: Appointment


@strawberry.type(description="The cancelled appointment.")
class CancelAppointmentPayload:
    appointment: Appointment


@strawberry.type(description="The appointment in its new status.")
class SetAppointmentStatusPayload:
    appointment: Appointment


@strawberry.input(description="Reserve a slot for a few minutes.")
class HoldSlotInput:
    practice_id: strawberry.ID
    practitioner_id: strawberry.ID
    appointment_type_id: strawberry.ID
    starts_at: datetime
    room_id: strawberry.ID | None = None
    minutes: int | None = strawberry.field(default=None, description="Default 5, at most 30.")


@strawberry.type
class HoldSlotPayload:
    hold: SlotHold


@strawberry.input
class ReleaseSlotInput:
    hold_id: strawberry.ID


@strawberry.type
class ReleaseSlotPayload:
    hold: SlotHold


@strawberry.input(description="Set a patient's recall interval (and optionally its due date).")
class SetRecallInput:
    practice_id: strawberry.ID
    patient_id: strawberry.ID
    kind: str = strawberry.field(description="EXAM or HYGIENE.")
    interval_months: int
    due_on: date | None = None


@strawberry.type
class SetRecallPayload:
    recall: Recall


@strawberry.input(description="Put a patient on the waitlist for an earlier slot.")
class AddToWaitlistInput:
    practice_id: strawberry.ID
    patient_id: strawberry.ID
    appointment_type_id: strawberry.ID
    practitioner_id: strawberry.ID | None = None
    weekdays: list[int] = strawberry.field(default_factory=list)
    earliest_minute: int = 0
    latest_minute: int = 1440


@strawberry.type
class AddToWaitlistPayload:
    entry: WaitlistEntry


@strawberry.type(description="Done; the id of what was removed.")
class RemovedPayload:
    id: strawberry.ID
