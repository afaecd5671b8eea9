"""Diary queries and mutations: parse ids, call one service, shape the result."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, cast
from uuid import UUID

import strawberry

from db.models import Recall as RecallModel
from db.models import WaitlistEntry as WaitlistModel
from graph.context import Info
from graph.engine.execution import PlainList
from graph.ids import parse_id
from graph.permissions.fields import requires
from graph.schema import scheduling_inputs as inputs
from graph.schema.board_rows import schedule_appointments
from graph.schema.pagination import Connection, decode_cursor, page_size
from graph.schema.scheduling import (
    Appointment,
    AvailableSlot,
    Recall,
    Schedule,
    ScheduleAppointment,
    SlotHold,
    WaitlistEntry,
)
from services.errors import ValidationFailed
from services.policy import Scope
from services.scheduling import board, booking, holds, kinds, recalls, slots, waitlist, workflow

From = Annotated[datetime, strawberry.argument(name="from")]
BOARD_FIELDS = ["patient.firstName", "patient.lastName", "patient.hasMedicalAlert"]


def _ids(values: list[strawberry.ID] | None, field: str) -> list[UUID]:
    if values is not None and len(values) > 100:
        raise ValidationFailed("At most 100 ids.", field=field)
    return [parse_id(v, field) for v in values or []]


def _cursor(cursor: str | None) -> list[object] | None:
    position = decode_cursor(cursor)
    if position is not None and len(position) != 2:
        raise ValidationFailed("'after' is not a valid cursor.", field="after")
    return position


def _recall(row: RecallModel, today: date) -> Recall:
    return Recall(
        id=strawberry.ID(str(row.id)),
        patient_id=strawberry.ID(str(row.patient_id)),
        kind=kinds.RecallKind(row.kind),
        interval_months=row.interval_months,
        due_on=row.due_on,
        overdue=row.due_on < today,
        last_completed_at=row.last_completed_at,
    )


def _entry(row: WaitlistModel) -> WaitlistEntry:
    return WaitlistEntry(
        id=strawberry.ID(str(row.id)),
        patient_id=strawberry.ID(str(row.patient_id)),
        appointment_type_id=strawberry.ID(str(row.appointment_type_id)),
        practitioner_id=strawberry.ID(str(row.practitioner_id)) if row.practitioner_id else None,
        weekdays=list(row.weekdays),
        earliest_minute=row.earliest_minute,
        latest_minute=row.latest_minute,
        last_offered_at=row.last_offered_at,
    )


def _hold(row: tuple[Any, ...]) -> SlotHold:
    """A ``db.queries.board.live_holds`` row as the board's hold."""
    hold_id, practitioner_id, room_id, starts_at, ends_at, expires_at, status = row
    return SlotHold(
        id=strawberry.ID(str(hold_id)),
        practitioner_id=strawberry.ID(str(practitioner_id)),
        room_id=strawberry.ID(str(room_id)),
        starts_at=starts_at,
        ends_at=ends_at,
        expires_at=expires_at,
        status=status,
    )


@strawberry.type
class SchedulingQueries:
    @strawberry.field(
        description="The board: appointments overlapping [from, to) with patient, practitioner, "
        "room, type and status (at most 31 days), plus live holds.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def schedule(
        self,
        info: Info,
        practice_id: strawberry.ID,
        from_: From,
        to: datetime,
        practitioner_ids: list[strawberry.ID] | None = None,
        room_ids: list[strawberry.ID] | None = None,
    ) -> Schedule | None:
        found = await board.schedule(
            info.context.principal,
            practice_id=parse_id(practice_id, "practiceId"),
            start=from_,
            end=to,
            practitioner_ids=_ids(practitioner_ids, "practitionerIds"),
            room_ids=_ids(room_ids, "roomIds"),
        )
        info.context.audit.read(  # one row naming every patient shown: their logs find it
            entity_type=board.BOARD_ENTITY,
            entity_id=board.audited_window(found.starts_at, found.ends_at),
            patient_id=None,
            patient_ids=found.shown_patients(info.context.principal),
            practice_id=found.practice_id,
            fields=BOARD_FIELDS,
        )
        # Completed in bulk by graph.engine.execution (same values and errors, far less per field).
        return Schedule(
            starts_at=found.starts_at,
            ends_at=found.ends_at,
            appointments=cast(
                "list[ScheduleAppointment]",
                PlainList(schedule_appointments(found.rows, found.practice_id, found.hidden)),
            ),
            holds=cast("list[SlotHold]", PlainList([_hold(row) for row in found.holds])),
            sequence=found.sequence,
        )

    @strawberry.field(
        description="Free starts for an appointment type within [from, to) (at most 500).",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def available_slots(
        self,
        info: Info,
        practice_id: strawberry.ID,
        appointment_type_id: strawberry.ID,
        from_: From,
        to: datetime,
        practitioner_id: strawberry.ID | None = None,
    ) -> list[AvailableSlot] | None:
        found = await slots.available(
            info.context.principal,
            practice_id=parse_id(practice_id, "practiceId"),
            appointment_type_id=parse_id(appointment_type_id, "appointmentTypeId"),
            practitioner_id=parse_id(practitioner_id, "practitionerId")
            if practitioner_id
            else None,
            start=from_,
            end=to,
        )
        return [
            AvailableSlot(
                starts_at=s.starts_at,
                ends_at=s.ends_at,
                practitioner_id=strawberry.ID(str(s.practitioner_id)),
                room_id=strawberry.ID(str(s.room_id)),
            )
            for s in found
        ]

    @strawberry.field(
        description="A patient's appointments, newest first.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def patient_appointments(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Appointment] | None:
        position = _cursor(after)
        before = None
        if position is not None:
            before = (datetime.fromisoformat(str(position[0])), parse_id(str(position[1]), "after"))
        page = await board.history(
            info.context.principal,
            patient_id=parse_id(patient_id, "patientId"),
            first=page_size(first),
            before=before,
        )
        for row in page.appointments:
            info.context.audit.read(
                entity_type="Appointment",
                entity_id=row.id,
                patient_id=row.patient_id,  # type: ignore[arg-type]
                practice_id=row.practice_id,  # type: ignore[arg-type]
                fields=["patientAppointments"],
            )
        return Connection[Appointment].build(
            page.appointments,
            Appointment.from_model,
            lambda a: [a.starts_at.isoformat(), str(a.id)],
            has_next=page.has_next,
        )

    @strawberry.field(
        description="Recalls due by `until` (default today), overdue first.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def recalls(
        self,
        info: Info,
        practice_id: strawberry.ID,
        until: date | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Recall] | None:
        position = _cursor(after)
        keyset = None
        if position is not None:
            keyset = (date.fromisoformat(str(position[0])), parse_id(str(position[1]), "after"))
        page = await recalls.due(
            info.context.principal,
            practice_id=parse_id(practice_id, "practiceId"),
            until=until,
            first=page_size(first),
            after=keyset,
        )
        return Connection[Recall].build(
            page.recalls,
            lambda r: _recall(r, page.today),
            lambda r: [r.due_on.isoformat(), str(r.id)],
            has_next=page.has_next,
        )

    @strawberry.field(
        description="Active waitlist entries.", extensions=requires(Scope.SCHEDULE_READ)
    )
    async def waitlist(
        self,
        info: Info,
        practice_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[WaitlistEntry] | None:
        position = decode_cursor(after)
        last = parse_id(str(position[0]), "after") if position else None
        rows, has_next = await waitlist.entries(
            info.context.principal,
            practice_id=parse_id(practice_id, "practiceId"),
            first=page_size(first),
            after=last,
        )
        return Connection[WaitlistEntry].build(
            rows, _entry, lambda e: [str(e.id)], has_next=has_next
        )


@strawberry.type
class SchedulingMutations:
    @strawberry.mutation(
        description="Books an appointment.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def book_appointment(
        self, info: Info, input: inputs.BookAppointmentInput
    ) -> inputs.BookAppointmentPayload | None:
        request = booking.BookingRequest(
            practice_id=parse_id(input.practice_id, "practiceId"),
            patient_id=parse_id(input.patient_id, "patientId"),
            practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
            appointment_type_id=parse_id(input.appointment_type_id, "appointmentTypeId"),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            room_id=parse_id(input.room_id, "roomId") if input.room_id else None,
            resource_ids=_ids(input.resource_ids, "resourceIds"),
            reception_notes=input.reception_notes,
            clinical_note=input.clinical_note,
            hold_id=parse_id(input.hold_id, "holdId") if input.hold_id else None,
        )
        made = await booking.book(info.context.principal, request=request)
        return inputs.BookAppointmentPayload(appointment=Appointment.from_model(made))

    @strawberry.mutation(
        description="Moves an appointment; history is kept.",
        extensions=requires(Scope.SCHEDULE_WRITE),
    )
    async def reschedule_appointment(
        self, info: Info, input: inputs.RescheduleAppointmentInput
    ) -> inputs.RescheduleAppointmentPayload | None:
        moved = await booking.reschedule(
            info.context.principal,
            appointment_id=parse_id(input.appointment_id, "appointmentId"),
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            practitioner_id=parse_id(input.practitioner_id, "practitionerId")
            if input.practitioner_id
            else None,
            room_id=parse_id(input.room_id, "roomId") if input.room_id else None,
        )
        return inputs.RescheduleAppointmentPayload(appointment=Appointment.from_model(moved))

    @strawberry.mutation(
        description="Cancels with a reason.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def cancel_appointment(
        self, info: Info, input: inputs.CancelAppointmentInput
    ) -> inputs.CancelAppointmentPayload | None:
        done = await booking.cancel(
            info.context.principal,
            appointment_id=parse_id(input.appointment_id, "appointmentId"),
            reason=input.reason,
        )
        return inputs.CancelAppointmentPayload(appointment=Appointment.from_model(done))

    @strawberry.mutation(
        description="Moves along the workflow.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def set_appointment_status(
        self, info: Info, input: inputs.SetAppointmentStatusInput
    ) -> inputs.SetAppointmentStatusPayload | None:
        done = await workflow.set_status(
            info.context.principal,
            appointment_id=parse_id(input.appointment_id, "appointmentId"),
            status=workflow.Status(input.status),
        )
        return inputs.SetAppointmentStatusPayload(appointment=Appointment.from_model(done))  # type: ignore[arg-type]

    @strawberry.mutation(
        description="Holds a slot for a few minutes.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def hold_slot(
        self, info: Info, input: inputs.HoldSlotInput
    ) -> inputs.HoldSlotPayload | None:
        made = await holds.hold(
            info.context.principal,
            practice_id=parse_id(input.practice_id, "practiceId"),
            practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
            appointment_type_id=parse_id(input.appointment_type_id, "appointmentTypeId"),
            starts_at=input.starts_at,
            room_id=parse_id(input.room_id, "roomId") if input.room_id else None,
            minutes=input.minutes,
        )
        return inputs.HoldSlotPayload(hold=SlotHold.from_model(made))

    @strawberry.mutation(description="Releases a hold.", extensions=requires(Scope.SCHEDULE_WRITE))
    async def release_slot(
        self, info: Info, input: inputs.ReleaseSlotInput
    ) -> inputs.ReleaseSlotPayload | None:
        done = await holds.release(
            info.context.principal, hold_id=parse_id(input.hold_id, "holdId")
        )
        return inputs.ReleaseSlotPayload(hold=SlotHold.from_model(done))

    @strawberry.mutation(
        description="Sets a patient's recall.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def set_recall(
        self, info: Info, input: inputs.SetRecallInput
    ) -> inputs.SetRecallPayload | None:
        done = await recalls.set_recall(
            info.context.principal,
            practice_id=parse_id(input.practice_id, "practiceId"),
            patient_id=parse_id(input.patient_id, "patientId"),
            kind=input.kind,
            interval_months=input.interval_months,
            due_on=input.due_on,
        )
        return inputs.SetRecallPayload(recall=_recall(done.recall, done.today))

    @strawberry.mutation(
        description="Adds to the waitlist.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def add_to_waitlist(
        self, info: Info, input: inputs.AddToWaitlistInput
    ) -> inputs.AddToWaitlistPayload | None:
        row = await waitlist.add(
            info.context.principal,
            request=waitlist.WaitlistRequest(
                practice_id=parse_id(input.practice_id, "practiceId"),
                patient_id=parse_id(input.patient_id, "patientId"),
                appointment_type_id=parse_id(input.appointment_type_id, "appointmentTypeId"),
                practitioner_id=parse_id(input.practitioner_id, "practitionerId")
                if input.practitioner_id
                else None,
                weekdays=tuple(input.weekdays),
                earliest_minute=input.earliest_minute,
                latest_minute=input.latest_minute,
            ),
        )
        return inputs.AddToWaitlistPayload(entry=_entry(row))

    @strawberry.mutation(
        description="Removes a waitlist entry.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def remove_from_waitlist(
        self, info: Info, id: strawberry.ID
    ) -> inputs.RemovedPayload | None:
        await waitlist.remove(info.context.principal, entry_id=parse_id(id, "id"))
        return inputs.RemovedPayload(id=id)
