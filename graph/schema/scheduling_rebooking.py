"""Bookings to rebook: live appointments outside bookable time, each with why."""

from __future__ import annotations

from enum import Enum
from uuid import UUID

import strawberry

from graph.audit_extension import ReadRecord
from graph.permissions.fields import requires
from graph.schema.scheduling import Appointment, BoardPatient
from services.policy import Scope
from services.scheduling.rebooking import Stray


@strawberry.enum(description="Why a booking lies outside bookable time.")
class StrandedReason(Enum):
    CLOSURE = strawberry.enum_value("CLOSURE", description="The practice is closed then.")
    ABSENCE = strawberry.enum_value("ABSENCE", description="The practitioner is absent then.")
    OUTSIDE_OPENING_HOURS = strawberry.enum_value(
        "OUTSIDE_OPENING_HOURS",
        description="Within the practitioner's session but outside the practice's opening hours.",
    )
    OUTSIDE_SESSIONS = strawberry.enum_value(
        "OUTSIDE_SESSIONS", description="Outside the practitioner's working sessions."
    )


@strawberry.type(description="A live booking outside bookable time, for reception to rebook.")
class StrandedAppointment:
    appointment: Appointment = strawberry.field(description="The booking as it stands.")
    reason: StrandedReason = strawberry.field(
        description="Why it lies outside bookable time: the first of closure, absence, opening "
        "hours, sessions that applies."
    )
    patient: BoardPatient | None = strawberry.field(
        description="Who is booked (to contact them).", extensions=requires(Scope.PATIENT_READ)
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]

    @classmethod
    def from_stray(cls, stray: Stray) -> StrandedAppointment:
        row, person = stray.appointment, stray.patient
        patient = None
        if person is not None:
            patient = BoardPatient(
                id=strawberry.ID(str(person.id)),
                first_name=person.first_name,
                last_name=person.last_name,
                preferred_name=person.preferred_name,
                has_medical_alert=person.has_medical_alert,
            )
        return cls(
            appointment=Appointment.from_model(row),
            reason=StrandedReason(stray.reason.value),
            patient=patient,
            practice_id=row.practice_id,  # type: ignore[arg-type]
            patient_id=row.patient_id,  # type: ignore[arg-type]
        )

    def read_record(self) -> ReadRecord:
        return ReadRecord("Appointment", self.appointment.id, self.patient_id, self.practice_id)
