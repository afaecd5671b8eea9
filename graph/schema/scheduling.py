"""Diary types. The board's types are light: plain attributes filled from one query's rows,
shared practitioner/room/type objects, and ``@requires`` only where data is protected
(the patient on a board needs ``patient:read``, clinical notes ``clinical:read``)."""

from __future__ import annotations

from datetime import date, datetime
from enum import Enum
from typing import Any
from uuid import UUID

import strawberry

from db.crypto import FieldContext
from db.models import Appointment as AppointmentModel
from db.models import SlotHold as SlotHoldModel
from graph.permissions.fields import requires
from services import runtime
from services.policy import Scope
from services.scheduling.workflow import Status

AppointmentStatus = strawberry.enum(Status, name="AppointmentStatus", description="Workflow.")


@strawberry.enum(description="Where a booking came from.")
class BookingSource(Enum):
    RECEPTION = "RECEPTION"
    PORTAL = "PORTAL"
    PARTNER = "PARTNER"


def _clinical(practice_id: object, appointment_id: object, token: str | None) -> str | None:
    if token is None:
        return None
    context = FieldContext(str(practice_id), "appointment", "clinical_note", str(appointment_id))
    return runtime.keyring().decrypt(token, context)


@strawberry.type(description="The patient as the board shows them.")
class BoardPatient:
    id: strawberry.ID
    first_name: str
    last_name: str
    preferred_name: str | None
    has_medical_alert: bool = strawberry.field(description="Check the history before treatment.")


@strawberry.type(description="A practitioner on the board.")
class BoardPractitioner:
    id: strawberry.ID
    display_name: str
    colour: str


@strawberry.type(description="A surgery or chair.")
class BoardRoom:
    id: strawberry.ID
    name: str


@strawberry.type(description="What kind of appointment it is.")
class BoardAppointmentType:
    id: strawberry.ID
    name: str
    colour: str


@strawberry.type(description="One appointment on the reception board.")
class ScheduleAppointment:
    id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus  # type: ignore[valid-type]
    source: BookingSource
    late_cancellation: bool
    reception_notes: str | None
    patient: BoardPatient | None = strawberry.field(
        description="Who is coming.", extensions=requires(Scope.PATIENT_READ)
    )
    practitioner: BoardPractitioner
    room: BoardRoom
    appointment_type: BoardAppointmentType
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    sealed_note: strawberry.Private[str | None]

    @strawberry.field(
        description="Clinical note for the visit.", extensions=requires(Scope.CLINICAL_READ)
    )
    def clinical_note(self) -> str | None:
        return _clinical(self.practice_id, self.id, self.sealed_note)


@strawberry.type(description="A slot held for a few minutes while a booking completes.")
class SlotHold:
    id: strawberry.ID
    practitioner_id: strawberry.ID
    room_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    expires_at: datetime
    status: str

    @classmethod
    def from_model(cls, m: SlotHoldModel) -> SlotHold:
        return cls(
            id=strawberry.ID(str(m.id)),
            practitioner_id=strawberry.ID(str(m.practitioner_id)),
            room_id=strawberry.ID(str(m.room_id)),
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            expires_at=m.expires_at,
            status=m.status,
        )


@strawberry.type(description="A practice's board for a time span.")
class Schedule:
    starts_at: datetime
    ends_at: datetime
    appointments: list[ScheduleAppointment]
    holds: list[SlotHold] = strawberry.field(description="Live holds (unexpired).")


@strawberry.type(description="An appointment with its workflow times.")
class Appointment:
    id: strawberry.ID
    practice: strawberry.ID = strawberry.field(name="practiceId")
    patient: strawberry.ID = strawberry.field(name="patientId")
    practitioner_id: strawberry.ID
    room_id: strawberry.ID
    appointment_type_id: strawberry.ID
    starts_at: datetime
    ends_at: datetime
    status: AppointmentStatus  # type: ignore[valid-type]
    source: BookingSource
    reception_notes: str | None
    confirmed_at: datetime | None
    arrived_at: datetime | None
    seated_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    cancel_reason: str | None
    late_cancellation: bool
    age_checked_years: int | None = strawberry.field(
        description="Age on the day, checked for a restricted procedure."
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    sealed_note: strawberry.Private[str | None]

    @strawberry.field(
        description="Clinical note for the visit.", extensions=requires(Scope.CLINICAL_READ)
    )
    def clinical_note(self) -> str | None:
        return _clinical(self.practice_id, self.id, self.sealed_note)

    @classmethod
    def from_model(cls, m: AppointmentModel) -> Appointment:
        return cls(
            id=strawberry.ID(str(m.id)),
            practice=strawberry.ID(str(m.practice_id)),
            patient=strawberry.ID(str(m.patient_id)),
            practitioner_id=strawberry.ID(str(m.practitioner_id)),
            room_id=strawberry.ID(str(m.room_id)),
            appointment_type_id=strawberry.ID(str(m.appointment_type_id)),
            starts_at=m.starts_at,
            ends_at=m.ends_at,
            status=Status(m.status),
            source=BookingSource(m.source),
            reception_notes=m.reception_notes,
            confirmed_at=m.confirmed_at,
            arrived_at=m.arrived_at,
            seated_at=m.seated_at,
            completed_at=m.completed_at,
            cancelled_at=m.cancelled_at,
            cancel_reason=m.cancel_reason,
            late_cancellation=m.late_cancellation,
            age_checked_years=m.age_checked_years,
            practice_id=m.practice_id,  # type: ignore[arg-type]
            patient_id=m.patient_id,  # type: ignore[arg-type]
            sealed_note=m.clinical_note,
        )


@strawberry.type(description="A free start for an appointment type.")
class AvailableSlot:
    starts_at: datetime
    ends_at: datetime
    practitioner_id: strawberry.ID
    room_id: strawberry.ID


@strawberry.type(description="When a patient is next due an exam or hygiene visit.")
class Recall:
    id: strawberry.ID
    patient_id: strawberry.ID
    kind: str
    interval_months: int
    due_on: date
    overdue: bool
    last_completed_at: datetime | None


@strawberry.type(description="A patient who would take an earlier slot.")
class WaitlistEntry:
    id: strawberry.ID
    patient_id: strawberry.ID
    appointment_type_id: strawberry.ID
    practitioner_id: strawberry.ID | None
    weekdays: list[int]
    earliest_minute: int
    latest_minute: int
    last_offered_at: datetime | None


def board_appointments(rows: list[tuple[Any, ...]], practice_id: UUID) -> list[ScheduleAppointment]:
    """Rows of ``db.queries.schedule.board_rows`` as board types; shared parts built once."""
    people: dict[Any, BoardPractitioner] = {}
    rooms: dict[Any, BoardRoom] = {}
    kinds: dict[Any, BoardAppointmentType] = {}
    statuses = {s.value: s for s in Status}
    sources = {s.value: s for s in BookingSource}
    result = []
    for (
        aid,
        start,
        end,
        status,
        notes,
        sealed,
        pid,
        first,
        last,
        preferred,
        alert,
        prid,
        prname,
        prcolour,
        rid,
        rname,
        tid,
        tname,
        tcolour,
        late,
        source,
    ) in rows:
        person = people.get(prid) or people.setdefault(
            prid,
            BoardPractitioner(id=strawberry.ID(str(prid)), display_name=prname, colour=prcolour),
        )
        room = rooms.get(rid) or rooms.setdefault(
            rid, BoardRoom(id=strawberry.ID(str(rid)), name=rname)
        )
        kind = kinds.get(tid) or kinds.setdefault(
            tid, BoardAppointmentType(id=strawberry.ID(str(tid)), name=tname, colour=tcolour)
        )
        result.append(
            ScheduleAppointment(
                id=strawberry.ID(str(aid)),
                starts_at=start,
                ends_at=end,
                status=statuses[status],
                source=sources[source],
                late_cancellation=late,
                reception_notes=notes,
                patient=BoardPatient(
                    id=strawberry.ID(str(pid)),
                    first_name=first,
                    last_name=last,
                    preferred_name=preferred,
                    has_medical_alert=alert,
                ),
                practitioner=person,
                room=room,
                appointment_type=kind,
                practice_id=practice_id,
                patient_id=pid,
                sealed_note=sealed,
            )
        )
    return result
