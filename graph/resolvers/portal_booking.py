"""Portal self-service booking: what a patient may book online, booking it, cancelling it."""

from __future__ import annotations

from typing import Annotated

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.portal_booking import (
    BookOwnAppointmentInput,
    BookOwnAppointmentPayload,
    CancelOwnAppointmentInput,
    CancelOwnAppointmentPayload,
    OnlineAppointmentType,
)
from graph.schema.scheduling import Appointment
from services.policy import Scope
from services.scheduling import portal

PracticeArgument = Annotated[
    strawberry.ID, strawberry.argument(description="The practice whose online types to list.")
]


@strawberry.type
class PortalBookingQueries:
    @strawberry.field(
        description="Active appointment types the practice lets patients book themselves, by name.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def online_appointment_types(
        self, info: Info, practice_id: PracticeArgument
    ) -> list[OnlineAppointmentType] | None:
        found = await portal.online_types(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return [OnlineAppointmentType.from_model(row) for row in found]


@strawberry.type
class PortalBookingMutations:
    @strawberry.mutation(
        description="A patient books one of the free starts availableSlots lists, for a type the "
        "practice offers online (source PORTAL); anything else is refused.",
        extensions=requires(Scope.SCHEDULE_BOOK_OWN),
    )
    async def book_own_appointment(
        self, info: Info, input: BookOwnAppointmentInput
    ) -> BookOwnAppointmentPayload | None:
        made = await portal.book_own(
            info.context.principal,
            practice_id=input.ids.practice_id,
            patient_id=input.ids.patient_id,
            practitioner_id=input.ids.practitioner_id,
            appointment_type_id=input.ids.appointment_type_id,
            starts_at=input.starts_at,
        )
        return BookOwnAppointmentPayload(appointment=Appointment.from_model(made))

    @strawberry.mutation(
        description="A patient cancels their own BOOKED or CONFIRMED appointment.",
        extensions=requires(Scope.SCHEDULE_BOOK_OWN),
    )
    async def cancel_own_appointment(
        self, info: Info, input: CancelOwnAppointmentInput
    ) -> CancelOwnAppointmentPayload | None:
        done = await portal.cancel_own(
            info.context.principal,
            appointment_id=input.ids.appointment_id,
            reason=input.reason,
        )
        return CancelOwnAppointmentPayload(appointment=Appointment.from_model(done))
