"""Diary queries and mutations: parse ids, call one service, shape the result."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, cast
from uuid import UUID

import strawberry

from graph.audit_extension import AuditReads
from graph.context import Info
from graph.engine.execution import PlainList
from graph.ids import id_argument, id_list_argument, optional_id_argument
from graph.permissions.fields import requires
from graph.schema import scheduling_inputs as inputs
from graph.schema.board_rows import schedule_appointments
from graph.schema.pagination import Connection, after_key, page_size
from graph.schema.scheduling import (
    Appointment,
    AvailableSlot,
    Recall,
    Schedule,
    ScheduleAppointment,
    SlotHold,
    WaitlistEntry,
)
from services.policy import Scope
from services.scheduling import (
    board,
    booking,
    call_requests,
    holds,
    recalls,
    slots,
    waitlist,
    workflow,
)

From = Annotated[datetime, strawberry.argument(name="from")]
BOARD_FIELDS = ["patient.firstName", "patient.lastName", "patient.hasMedicalAlert"]


def _hold(row: tuple[Any, ...]) -> SlotHold:
    """A ``db.queries.board.watermark_and_holds`` hold as the board's hold."""
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
            practice_id=id_argument(practice_id=practice_id),
            start=from_,
            end=to,
            practitioner_ids=id_list_argument(practitioner_ids=practitioner_ids),
            room_ids=id_list_argument(room_ids=room_ids),
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
        extensions=[*requires(Scope.SCHEDULE_READ), AuditReads(["availableSlots"])],
    )
    async def available_slots(
        self,
        info: Info,
        practice_id: strawberry.ID,
        appointment_type_id: strawberry.ID,
        from_: From,
        to: datetime,
        practitioner_id: strawberry.ID | None = None,
        patient_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description="Only starts this patient may book: the booking rules for them "
                "(cooling-off after their signed consultation consent, the practitioner's "
                "registration on the day, the age rule) skip the rest. Reading it is audited."
            ),
        ] = None,
    ) -> list[AvailableSlot] | None:
        patient = optional_id_argument(patient_id=patient_id)
        practice = id_argument(practice_id=practice_id)
        found = await slots.available(
            info.context.principal,
            practice_id=practice,
            appointment_type_id=id_argument(appointment_type_id=appointment_type_id),
            practitioner_id=optional_id_argument(practitioner_id=practitioner_id),
            start=from_,
            end=to,
            patient_id=patient,
        )
        return AvailableSlot.listed(found, practice, patient)

    @strawberry.field(
        description="A patient's appointments, newest first.",
        extensions=[*requires(Scope.SCHEDULE_READ), AuditReads(["patientAppointments"])],
    )
    async def patient_appointments(
        self,
        info: Info,
        patient_id: strawberry.ID,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[Appointment] | None:
        page = await board.history(
            info.context.principal,
            patient_id=id_argument(patient_id=patient_id),
            first=page_size(first),
            before=after_key(after, datetime, UUID),
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
        page = await recalls.due(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            until=until,
            first=page_size(first),
            after=after_key(after, date, UUID),
        )
        return Connection[Recall].build(
            page.recalls,
            lambda r: Recall.from_model(r, page.today),
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
        rows, has_next = await waitlist.entries(
            info.context.principal,
            practice_id=id_argument(practice_id=practice_id),
            first=page_size(first),
            after=after_key(after, UUID),
        )
        return Connection[WaitlistEntry].build(
            rows, WaitlistEntry.from_model, lambda e: [str(e.id)], has_next=has_next
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
            practice_id=input.ids.practice_id,
            patient_id=input.ids.patient_id,
            practitioner_id=input.ids.practitioner_id,
            appointment_type_id=input.ids.appointment_type_id,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            room_id=input.optional_ids.room_id,
            resource_ids=input.id_lists.resource_ids,
            reception_notes=input.reception_notes,
            clinical_note=input.clinical_note,
            hold_id=input.optional_ids.hold_id,
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
            appointment_id=input.ids.appointment_id,
            starts_at=input.starts_at,
            ends_at=input.ends_at,
            practitioner_id=input.optional_ids.practitioner_id,
            room_id=input.optional_ids.room_id,
        )
        return inputs.RescheduleAppointmentPayload(appointment=Appointment.from_model(moved))

    @strawberry.mutation(
        description="Cancels with a reason (and optionally its code, for reports).",
        extensions=requires(Scope.SCHEDULE_WRITE),
    )
    async def cancel_appointment(
        self, info: Info, input: inputs.CancelAppointmentInput
    ) -> inputs.CancelAppointmentPayload | None:
        done = await booking.cancel(
            info.context.principal,
            appointment_id=input.ids.appointment_id,
            reason=input.reason,
            code=input.reason_code,
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
            appointment_id=input.ids.appointment_id,
            status=workflow.Status(input.status),
        )
        return inputs.SetAppointmentStatusPayload(appointment=Appointment.from_model(done))  # type: ignore[arg-type]

    @strawberry.mutation(
        description=(
            "Marks a patient's call request (needsCall, from an SMS reply) as dealt with, e.g. "
            "after reception phoned them: needsCall becomes false, the change is audited and "
            "boards get an APPOINTMENT_CALL_RESOLVED event. No request waiting: nothing changes "
            "(a repeat is harmless). Another practice's appointment is NOT_FOUND."
        ),
        extensions=requires(Scope.SCHEDULE_WRITE),
    )
    async def resolve_call_request(
        self, info: Info, input: inputs.ResolveCallRequestInput
    ) -> inputs.ResolveCallRequestPayload | None:
        done = await call_requests.resolve(
            info.context.principal, appointment_id=input.ids.appointment_id
        )
        return inputs.ResolveCallRequestPayload(appointment=Appointment.from_model(done))

    @strawberry.mutation(
        description="Holds a slot for a few minutes.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def hold_slot(
        self, info: Info, input: inputs.HoldSlotInput
    ) -> inputs.HoldSlotPayload | None:
        made = await holds.hold(
            info.context.principal,
            practice_id=input.ids.practice_id,
            practitioner_id=input.ids.practitioner_id,
            appointment_type_id=input.ids.appointment_type_id,
            starts_at=input.starts_at,
            room_id=input.optional_ids.room_id,
            minutes=input.minutes,
        )
        return inputs.HoldSlotPayload(hold=SlotHold.from_model(made))

    @strawberry.mutation(description="Releases a hold.", extensions=requires(Scope.SCHEDULE_WRITE))
    async def release_slot(
        self, info: Info, input: inputs.ReleaseSlotInput
    ) -> inputs.ReleaseSlotPayload | None:
        done = await holds.release(info.context.principal, hold_id=input.ids.hold_id)
        return inputs.ReleaseSlotPayload(hold=SlotHold.from_model(done))

    @strawberry.mutation(
        description="Sets a patient's recall.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def set_recall(
        self, info: Info, input: inputs.SetRecallInput
    ) -> inputs.SetRecallPayload | None:
        done = await recalls.set_recall(
            info.context.principal,
            practice_id=input.ids.practice_id,
            patient_id=input.ids.patient_id,
            kind=input.kind,
            interval_months=input.interval_months,
            due_on=input.due_on,
        )
        return inputs.SetRecallPayload(recall=Recall.from_model(done.recall, done.today))

    @strawberry.mutation(
        description="Adds to the waitlist.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def add_to_waitlist(
        self, info: Info, input: inputs.AddToWaitlistInput
    ) -> inputs.AddToWaitlistPayload | None:
        row = await waitlist.add(
            info.context.principal,
            request=waitlist.WaitlistRequest(
                practice_id=input.ids.practice_id,
                patient_id=input.ids.patient_id,
                appointment_type_id=input.ids.appointment_type_id,
                practitioner_id=input.optional_ids.practitioner_id,
                weekdays=tuple(input.weekdays),
                earliest_minute=input.earliest_minute,
                latest_minute=input.latest_minute,
            ),
        )
        return inputs.AddToWaitlistPayload(entry=WaitlistEntry.from_model(row))

    @strawberry.mutation(
        description="Removes a waitlist entry.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def remove_from_waitlist(
        self, info: Info, id: strawberry.ID
    ) -> inputs.RemovedPayload | None:
        await waitlist.remove(info.context.principal, entry_id=id_argument(id=id))
        return inputs.RemovedPayload(id=id)
