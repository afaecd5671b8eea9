"""Diary types. The board's types are light: plain attributes filled from one query's rows,
shared practitioner/room/type objects, and ``@requires`` only where data is protected
(the patient on a board needs ``patient:read``, clinical notes ``clinical:read``)."""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from enum import Enum
from uuid import UUID

import strawberry

from db.crypto import FieldContext
from db.models import Appointment as AppointmentModel
from db.models import Recall as RecallModel
from db.models import SlotHold as SlotHoldModel
from db.models import WaitlistEntry as WaitlistModel
from graph.audit_extension import AuditedList, ReadRecord
from graph.permissions.fields import requires
from graph.schema.nodes import Node
from graph.schema.scheduling_kinds import (
    CALL_REASON,
    CALL_REQUESTED_AT,
    NEEDS_CALL,
    CallRequestReason,
    CancellationReason,
    RecallKind,
    call_reason,
)
from services.patients import sealing
from services.policy import Scope
from services.scheduling.kinds import CancelCode
from services.scheduling.slots import Slot
from services.scheduling.workflow import Status

AppointmentStatus = strawberry.enum(Status, name="AppointmentStatus", description="Workflow.")


@strawberry.enum(description="Where a booking came from.")
class BookingSource(Enum):
    RECEPTION = "RECEPTION"
    PORTAL = "PORTAL"
    PARTNER = "PARTNER"


def _clinical(
    practice_id: object, appointment_id: object, patient_id: object, token: str | None
) -> str | None:
    return _note(practice_id, appointment_id, patient_id, token, "clinical_note")


def _note(
    practice_id: object, appointment_id: object, patient_id: object, token: str | None, column: str
) -> str | None:
    """Appointment notes are stored encrypted (bound to practice, table, column and row); a
    tampered one is an audited integrity failure (``sealing.reveal_token``)."""
    if token is None:
        return None
    context = FieldContext(str(practice_id), "appointment", column, str(appointment_id))
    return sealing.reveal_token(token, context, patient_id=patient_id)


@strawberry.type(description="The patient as the board shows them.")
class BoardPatient:
    id: strawberry.ID
    first_name: str = strawberry.field(description="Given name.")
    last_name: str = strawberry.field(description="Family name.")
    preferred_name: str | None = strawberry.field(
        description="Name they like to be called; null if none given."
    )
    has_medical_alert: bool = strawberry.field(description="Check the history before treatment.")


@strawberry.type(description="A practitioner on the board.")
class BoardPractitioner:
    id: strawberry.ID
    display_name: str = strawberry.field(description="Name shown on the board.")
    colour: str = strawberry.field(description="Board colour, CSS hex (e.g. #1976d2).")


@strawberry.type(description="A surgery or chair.")
class BoardRoom:
    id: strawberry.ID
    name: str = strawberry.field(description="Room name shown on the board.")


@strawberry.type(description="What kind of appointment it is.")
class BoardAppointmentType:
    id: strawberry.ID
    name: str = strawberry.field(description="Type name, e.g. exam or hygiene.")
    colour: str = strawberry.field(description="Board colour, CSS hex (e.g. #9e9e9e).")


@strawberry.type(description="One appointment on the reception board.")
class ScheduleAppointment:
    id: strawberry.ID
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End (exclusive), ISO 8601 with offset.")
    status: AppointmentStatus = strawberry.field(description="Where the visit is in the workflow.")  # type: ignore[valid-type]
    source: BookingSource = strawberry.field(description="Where the booking came from.")
    late_cancellation: bool = strawberry.field(
        description="Cancelled within the practice's late-cancellation notice period."
    )
    needs_call: bool = strawberry.field(
        description=f"{NEEDS_CALL} Like the status, it stays on a booking shown as busy time."
    )
    call_requested_at: datetime | None = strawberry.field(description=CALL_REQUESTED_AT)
    call_reason: CallRequestReason | None = strawberry.field(description=CALL_REASON)  # type: ignore[valid-type]
    patient: BoardPatient | None = strawberry.field(
        description=(
            "Who is coming. Null with FORBIDDEN when the caller may not see this patient (a "
            "partner without the patient's DATA_SHARING consent, or while a restriction is in "
            "force): the booking then shows as busy time only."
        ),
        extensions=requires(Scope.PATIENT_READ),
    )
    practitioner: BoardPractitioner = strawberry.field(description="Who sees the patient.")
    room: BoardRoom = strawberry.field(description="Where the appointment takes place.")
    appointment_type: BoardAppointmentType = strawberry.field(
        description="What kind of appointment it is."
    )
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    sealed_note: strawberry.Private[str | None]
    sealed_reception_notes: strawberry.Private[str | None]
    # The caller may not see this patient (``services.visibility``): the booking shows as busy
    # time only; ``@requires`` fields answer FORBIDDEN, notes are null.
    patient_hidden: strawberry.Private[bool] = False

    @strawberry.field(
        description="Non-clinical notes for reception; null when the patient is hidden."
    )
    def reception_notes(self) -> str | None:
        return _note(
            self.practice_id,
            self.id,
            self.patient_id,
            self.sealed_reception_notes,
            "reception_notes",
        )

    @strawberry.field(
        description="Clinical note for the visit.", extensions=requires(Scope.CLINICAL_READ)
    )
    def clinical_note(self) -> str | None:
        return _clinical(self.practice_id, self.id, self.patient_id, self.sealed_note)


def as_busy_time(appointment: ScheduleAppointment) -> ScheduleAppointment:
    """A board appointment whose patient the caller may not see: when, where, who treats and
    the status stay (reception must not double-book), and so does a call request, a fact about
    the booking like its status (a code, never the reply's text); nothing about the patient
    does."""
    return dataclasses.replace(
        appointment,
        patient=None,
        sealed_reception_notes=None,
        sealed_note=None,
        patient_hidden=True,
    )


@strawberry.type(description="A slot held for a few minutes while a booking completes.")
class SlotHold:
    id: strawberry.ID
    practitioner_id: strawberry.ID = strawberry.field(
        description="Practitioner whose time is held."
    )
    room_id: strawberry.ID = strawberry.field(description="Room held.")
    starts_at: datetime = strawberry.field(
        description="Start of the held slot, ISO 8601 with offset."
    )
    ends_at: datetime = strawberry.field(
        description="End of the held slot (exclusive), ISO 8601 with offset."
    )
    expires_at: datetime = strawberry.field(
        description="When the hold lapses unless used, ISO 8601 with offset."
    )
    status: str = strawberry.field(
        description="ACTIVE, RELEASED, EXPIRED or USED (turned into a booking)."
    )

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
    starts_at: datetime = strawberry.field(
        description="Start of the span shown, ISO 8601 with offset."
    )
    ends_at: datetime = strawberry.field(
        description="End of the span shown (exclusive), ISO 8601 with offset."
    )
    appointments: list[ScheduleAppointment] = strawberry.field(
        description="Appointments overlapping the span."
    )
    holds: list[SlotHold] = strawberry.field(description="Live holds (unexpired).")
    sequence: int = strawberry.field(
        default=0,
        description=(
            "Watermark: the practice's event sequence when the board was read. Every change up "
            "to it is in this board; subscribe to scheduleChanged with `since` set to it to get "
            "every later change, none missed (one committed while the board was read may "
            "already show in it)."
        ),
    )


@strawberry.type(description="An appointment with its workflow times.")
class Appointment(Node):
    id: strawberry.ID
    practice: strawberry.ID = strawberry.field(
        name="practiceId", description="The practice whose diary it is in."
    )
    patient: strawberry.ID = strawberry.field(name="patientId", description="The patient booked.")
    practitioner_id: strawberry.ID = strawberry.field(description="Who sees the patient.")
    room_id: strawberry.ID = strawberry.field(description="Where the appointment takes place.")
    appointment_type_id: strawberry.ID = strawberry.field(
        description="What kind of appointment it is."
    )
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End (exclusive), ISO 8601 with offset.")
    status: AppointmentStatus = strawberry.field(description="Where the visit is in the workflow.")  # type: ignore[valid-type]
    source: BookingSource = strawberry.field(description="Where the booking came from.")
    confirmed_at: datetime | None = strawberry.field(
        description="When it was confirmed, ISO 8601 with offset; null if not yet."
    )
    arrived_at: datetime | None = strawberry.field(
        description="When the patient arrived, ISO 8601 with offset; null if not yet."
    )
    seated_at: datetime | None = strawberry.field(
        description="When the patient went into surgery, ISO 8601 with offset; null if not yet."
    )
    completed_at: datetime | None = strawberry.field(
        description="When the visit was completed, ISO 8601 with offset; null if not yet."
    )
    cancelled_at: datetime | None = strawberry.field(
        description="When it was cancelled, ISO 8601 with offset; null unless cancelled."
    )
    cancel_reason: str | None = strawberry.field(
        description="Why it was cancelled; null unless cancelled."
    )
    cancel_reason_code: CancellationReason | None = strawberry.field(  # type: ignore[valid-type]
        description="The coded reason reports count; null unless cancelled with a code (the "
        "portal's own cancellations are PATIENT_REQUEST)."
    )
    late_cancellation: bool = strawberry.field(
        description="Cancelled within the practice's late-cancellation notice period."
    )
    age_checked_years: int | None = strawberry.field(
        description="Age on the day, checked for a restricted procedure."
    )
    needs_call: bool = strawberry.field(description=NEEDS_CALL)
    call_requested_at: datetime | None = strawberry.field(description=CALL_REQUESTED_AT)
    call_reason: CallRequestReason | None = strawberry.field(description=CALL_REASON)  # type: ignore[valid-type]
    practice_id: strawberry.Private[UUID]
    patient_id: strawberry.Private[UUID]
    sealed_note: strawberry.Private[str | None]
    sealed_reception_notes: strawberry.Private[str | None]

    def read_record(self) -> ReadRecord:
        return ReadRecord("Appointment", self.id, self.patient_id, self.practice_id)

    @strawberry.field(description="Non-clinical notes for reception.")
    def reception_notes(self) -> str | None:
        return _note(
            self.practice_id,
            self.id,
            self.patient_id,
            self.sealed_reception_notes,
            "reception_notes",
        )

    @strawberry.field(
        description="Clinical note for the visit.", extensions=requires(Scope.CLINICAL_READ)
    )
    def clinical_note(self) -> str | None:
        return _clinical(self.practice_id, self.id, self.patient_id, self.sealed_note)

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
            sealed_reception_notes=m.reception_notes,
            confirmed_at=m.confirmed_at,
            arrived_at=m.arrived_at,
            seated_at=m.seated_at,
            completed_at=m.completed_at,
            cancelled_at=m.cancelled_at,
            cancel_reason=m.cancel_reason,
            cancel_reason_code=None if m.cancel_code is None else CancelCode(m.cancel_code),
            late_cancellation=m.late_cancellation,
            age_checked_years=m.age_checked_years,
            needs_call=m.call_requested_at is not None,
            call_requested_at=m.call_requested_at,
            call_reason=call_reason(m.call_reason),
            practice_id=m.practice_id,  # type: ignore[arg-type]
            patient_id=m.patient_id,  # type: ignore[arg-type]
            sealed_note=m.clinical_note,
        )


@strawberry.type(description="A free start for an appointment type.")
class AvailableSlot:
    starts_at: datetime = strawberry.field(description="Free start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(
        description="End if booked here (start plus the type's duration), ISO 8601 with offset."
    )
    practitioner_id: strawberry.ID = strawberry.field(description="Practitioner free at that time.")
    room_id: strawberry.ID = strawberry.field(description="Room free at that time.")

    @classmethod
    def from_slot(cls, slot: Slot) -> AvailableSlot:
        return cls(
            starts_at=slot.starts_at,
            ends_at=slot.ends_at,
            practitioner_id=strawberry.ID(str(slot.practitioner_id)),
            room_id=strawberry.ID(str(slot.room_id)),
        )

    @classmethod
    def listed(
        cls, found: list[Slot], practice_id: UUID, patient_id: UUID | None
    ) -> list[AvailableSlot]:
        """Starts for a named patient are a read about that patient (audited, even when none)."""
        slots = (cls.from_slot(s) for s in found)
        if patient_id is None:
            return list(slots)
        about = ReadRecord("Patient", patient_id, patient_id, practice_id)
        return AuditedList(slots, about)


@strawberry.type(description="When a patient is next due an exam or hygiene visit.")
class Recall:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient who is due.")
    kind: RecallKind = strawberry.field(description="Which routine visit.")  # type: ignore[valid-type]
    interval_months: int = strawberry.field(description="Months between visits of this kind.")
    due_on: date = strawberry.field(
        description="Date the next visit is due (practice's local date), ISO 8601."
    )
    overdue: bool = strawberry.field(description="Due before today (practice's local date).")
    last_completed_at: datetime | None = strawberry.field(
        description="When the last such visit was completed, ISO 8601 with offset; null if never."
    )

    @classmethod
    def from_model(cls, row: RecallModel, today: date) -> Recall:
        """``today`` is the practice's local date, which decides ``overdue``."""
        return cls(
            id=strawberry.ID(str(row.id)),
            patient_id=strawberry.ID(str(row.patient_id)),
            kind=RecallKind(row.kind),
            interval_months=row.interval_months,
            due_on=row.due_on,
            overdue=row.due_on < today,
            last_completed_at=row.last_completed_at,
        )


@strawberry.type(description="A patient who would take an earlier slot.")
class WaitlistEntry:
    id: strawberry.ID
    patient_id: strawberry.ID = strawberry.field(description="The patient waiting.")
    appointment_type_id: strawberry.ID = strawberry.field(
        description="The kind of appointment wanted."
    )
    practitioner_id: strawberry.ID | None = strawberry.field(
        description="Only this practitioner; null: any."
    )
    weekdays: list[int] = strawberry.field(
        description="Acceptable days, 0 (Monday) to 6; empty: any day."
    )
    earliest_minute: int = strawberry.field(
        description="Earliest start, minutes after local midnight."
    )
    latest_minute: int = strawberry.field(
        description="Start before this, minutes after local midnight (up to 1440)."
    )
    last_offered_at: datetime | None = strawberry.field(
        description="When a freed slot was last offered, ISO 8601 with offset; null if never."
    )

    @classmethod
    def from_model(cls, row: WaitlistModel) -> WaitlistEntry:
        return cls(
            id=strawberry.ID(str(row.id)),
            patient_id=strawberry.ID(str(row.patient_id)),
            appointment_type_id=strawberry.ID(str(row.appointment_type_id)),
            practitioner_id=strawberry.ID(str(row.practitioner_id))
            if row.practitioner_id
            else None,
            weekdays=list(row.weekdays),
            earliest_minute=row.earliest_minute,
            latest_minute=row.latest_minute,
            last_offered_at=row.last_offered_at,
        )
