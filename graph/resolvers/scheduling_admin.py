"""Setting up the diary: rooms, practitioners, appointment types, resources, sessions,
absences, opening hours and closures. Each mutation returns the id of the item it created,
changed, archived or removed. Updates replace every editable value (send the current ones to keep
them); rooms, appointment types and practitioners are archived (deactivated), never deleted."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.ids import parse_id
from graph.permissions.fields import requires
from graph.schema.scheduling_setup import (
    AddClosureInput,
    AddWorkingSessionInput,
    ArchiveAppointmentTypeInput,
    ArchiveRoomInput,
    CreateAppointmentTypeInput,
    CreatePractitionerInput,
    CreateResourceInput,
    CreateRoomInput,
    DeactivatePractitionerInput,
    RecordAbsenceInput,
    RemoveAbsenceInput,
    RemoveClosureInput,
    RemoveWorkingSessionInput,
    SchedulingSetupPayload,
    SetOpeningHoursInput,
    UpdateAbsenceInput,
    UpdateAppointmentTypeInput,
    UpdateClosureInput,
    UpdatePractitionerInput,
    UpdateRoomInput,
    UpdateWorkingSessionInput,
)
from services.policy import Scope
from services.scheduling import resources, sessions

ADMIN = requires(Scope.PRACTICE_WRITE)


def _opt(value: strawberry.ID | None, field: str) -> object:
    return parse_id(value, field) if value else None


def _done(row: object) -> SchedulingSetupPayload:
    return SchedulingSetupPayload(id=strawberry.ID(str(row.id)))  # type: ignore[attr-defined]


@strawberry.type
class SchedulingAdminMutations:
    @strawberry.mutation(description="Adds a room.", extensions=ADMIN)
    async def create_room(
        self, info: Info, input: CreateRoomInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.create_room(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                name=input.name,
                colour=input.colour,
            )
        )

    @strawberry.mutation(description="Makes a staff member bookable.", extensions=ADMIN)
    async def create_practitioner(
        self, info: Info, input: CreatePractitionerInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.create_practitioner(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                user_id=parse_id(input.user_id, "userId"),
                role=input.role,
                colour=input.colour,
                default_room_id=_opt(input.default_room_id, "defaultRoomId"),  # type: ignore[arg-type]
            )
        )

    @strawberry.mutation(description="Adds an appointment type.", extensions=ADMIN)
    async def create_appointment_type(
        self, info: Info, input: CreateAppointmentTypeInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.create_appointment_type(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                name=input.name,
                duration_minutes=input.duration_minutes,
                buffer_after_minutes=input.buffer_after_minutes,
                colour=input.colour,
                allowed_roles=input.allowed_roles,
                restricted_procedure=input.restricted_procedure,
                recall_kind=input.recall_kind,
            )
        )

    @strawberry.mutation(description="Adds an extra resource.", extensions=ADMIN)
    async def create_resource(
        self, info: Info, input: CreateResourceInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.create_resource(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                name=input.name,
                kind=input.kind,
            )
        )

    @strawberry.mutation(description="Adds a weekly working session.", extensions=ADMIN)
    async def add_working_session(
        self, info: Info, input: AddWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.add_session(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
                weekday=input.weekday,
                start_minute=input.start_minute,
                end_minute=input.end_minute,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
                room_id=_opt(input.room_id, "roomId"),  # type: ignore[arg-type]
            )
        )

    @strawberry.mutation(
        description="Records an absence.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def record_absence(
        self, info: Info, input: RecordAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.record_absence(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
            )
        )

    @strawberry.mutation(description="Closes the practice for a span.", extensions=ADMIN)
    async def add_closure(
        self, info: Info, input: AddClosureInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.add_closure(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="Sets one weekday's opening hours.", extensions=ADMIN)
    async def set_opening_hours(
        self, info: Info, input: SetOpeningHoursInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.set_opening_hours(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                weekday=input.weekday,
                open_minute=input.open_minute,
                close_minute=input.close_minute,
            )
        )

    @strawberry.mutation(description="Renames or recolours a room.", extensions=ADMIN)
    async def update_room(
        self, info: Info, input: UpdateRoomInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.update_room(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                room_id=parse_id(input.room_id, "roomId"),
                name=input.name,
                colour=input.colour,
            )
        )

    @strawberry.mutation(description="Archives a room: no new bookings.", extensions=ADMIN)
    async def archive_room(
        self, info: Info, input: ArchiveRoomInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.archive_room(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                room_id=parse_id(input.room_id, "roomId"),
            )
        )

    @strawberry.mutation(description="Changes a practitioner's profile.", extensions=ADMIN)
    async def update_practitioner(
        self, info: Info, input: UpdatePractitionerInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.update_practitioner(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
                role=input.role,
                colour=input.colour,
                default_room_id=_opt(input.default_room_id, "defaultRoomId"),  # type: ignore[arg-type]
            )
        )

    @strawberry.mutation(description="Makes a practitioner unbookable.", extensions=ADMIN)
    async def deactivate_practitioner(
        self, info: Info, input: DeactivatePractitionerInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.deactivate_practitioner(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                practitioner_id=parse_id(input.practitioner_id, "practitionerId"),
            )
        )

    @strawberry.mutation(description="Changes an appointment type.", extensions=ADMIN)
    async def update_appointment_type(
        self, info: Info, input: UpdateAppointmentTypeInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.update_appointment_type(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                appointment_type_id=parse_id(input.appointment_type_id, "appointmentTypeId"),
                name=input.name,
                duration_minutes=input.duration_minutes,
                buffer_after_minutes=input.buffer_after_minutes,
                colour=input.colour,
                allowed_roles=input.allowed_roles,
                restricted_procedure=input.restricted_procedure,
                recall_kind=input.recall_kind,
            )
        )

    @strawberry.mutation(
        description="Archives an appointment type: no new bookings.", extensions=ADMIN
    )
    async def archive_appointment_type(
        self, info: Info, input: ArchiveAppointmentTypeInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await resources.archive_appointment_type(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                appointment_type_id=parse_id(input.appointment_type_id, "appointmentTypeId"),
            )
        )

    @strawberry.mutation(description="Changes a weekly working session.", extensions=ADMIN)
    async def update_working_session(
        self, info: Info, input: UpdateWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.update_session(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                session_id=parse_id(input.session_id, "sessionId"),
                weekday=input.weekday,
                start_minute=input.start_minute,
                end_minute=input.end_minute,
                valid_from=input.valid_from,
                valid_until=input.valid_until,
                room_id=_opt(input.room_id, "roomId"),  # type: ignore[arg-type]
            )
        )

    @strawberry.mutation(description="Removes a weekly working session.", extensions=ADMIN)
    async def remove_working_session(
        self, info: Info, input: RemoveWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.remove_session(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                session_id=parse_id(input.session_id, "sessionId"),
            )
        )

    @strawberry.mutation(
        description="Changes an absence.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def update_absence(
        self, info: Info, input: UpdateAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.update_absence(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                absence_id=parse_id(input.absence_id, "absenceId"),
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
            )
        )

    @strawberry.mutation(
        description="Removes an absence.", extensions=requires(Scope.SCHEDULE_WRITE)
    )
    async def remove_absence(
        self, info: Info, input: RemoveAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.remove_absence(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                absence_id=parse_id(input.absence_id, "absenceId"),
            )
        )

    @strawberry.mutation(description="Changes a closure.", extensions=ADMIN)
    async def update_closure(
        self, info: Info, input: UpdateClosureInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.update_closure(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                closure_id=parse_id(input.closure_id, "closureId"),
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                reason=input.reason,
            )
        )

    @strawberry.mutation(description="Removes a closure.", extensions=ADMIN)
    async def remove_closure(
        self, info: Info, input: RemoveClosureInput
    ) -> SchedulingSetupPayload | None:
        return _done(
            await sessions.remove_closure(
                info.context.principal,
                practice_id=parse_id(input.practice_id, "practiceId"),
                closure_id=parse_id(input.closure_id, "closureId"),
            )
        )
