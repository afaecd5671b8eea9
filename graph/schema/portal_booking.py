"""Portal self-service booking: inputs, payloads and the types a patient may book online."""

from __future__ import annotations

from datetime import datetime

import strawberry

from db.models import AppointmentType as AppointmentTypeModel
from graph.ids import IdFields
from graph.schema.scheduling import Appointment


@strawberry.input(description="A patient books a free slot of a type offered online.")
class BookOwnAppointmentInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice to book with.")
    patient_id: strawberry.ID = strawberry.field(
        description="Who the booking is for: the signed-in patient, or a child they act for."
    )
    practitioner_id: strawberry.ID = strawberry.field(
        description="The practitioner of the chosen available slot."
    )
    appointment_type_id: strawberry.ID = strawberry.field(
        description="An appointment type the practice offers online (onlineAppointmentTypes)."
    )
    starts_at: datetime = strawberry.field(
        description="Start of one of the slots availableSlots lists, ISO 8601 with offset."
    )


@strawberry.input(description="A patient cancels one of their own bookings.")
class CancelOwnAppointmentInput(IdFields):
    appointment_id: strawberry.ID = strawberry.field(
        description="A BOOKED or CONFIRMED appointment of the signed-in patient (or their child)."
    )
    reason: str = strawberry.field(description="Why; required, up to 300 characters.")


@strawberry.type(description="The booking made.")
class BookOwnAppointmentPayload:
    appointment: Appointment = strawberry.field(description="The new appointment (source PORTAL).")


@strawberry.type(description="The booking cancelled.")
class CancelOwnAppointmentPayload:
    appointment: Appointment = strawberry.field(
        description="The cancelled appointment (lateCancellation says if within the notice period)."
    )


@strawberry.type(description="An appointment type patients may book themselves.")
class OnlineAppointmentType:
    id: strawberry.ID
    name: str = strawberry.field(description="Name shown to patients.")
    duration_minutes: int = strawberry.field(description="Length in minutes.")

    @classmethod
    def from_model(cls, m: AppointmentTypeModel) -> OnlineAppointmentType:
        return cls(id=strawberry.ID(str(m.id)), name=m.name, duration_minutes=m.duration_minutes)
