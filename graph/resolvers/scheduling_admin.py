"""Setting up the diary: rooms, practitioners, appointment types, resources, sessions,
absences, opening hours and closures. Each mutation returns the id of the item it created,
changed, archived or removed. Updates replace every editable value (send the current ones to keep
them); rooms, appointment types and practitioners are archived (deactivated), never deleted."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graph.context import Info
from graph.ids import parse_id
from graph.permissions.fields import requires
from services.policy import Scope
from services.scheduling import resources, sessions

ADMIN = requires(Scope.PRACTICE_WRITE)


def _opt(value: strawberry.ID | None, field: str) -> object:
    return parse_id(value, field) if value else None


@strawberry.input(description="A surgery or chair.")
class CreateRoomInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #9e9e9e.",
    )


@strawberry.input(description="A staff member's clinical profile in a practice.")
class CreatePractitionerInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    user_id: strawberry.ID = strawberry.field(description="The staff member's user id.")
    role: str = strawberry.field(description="DENTIST, HYGIENIST, THERAPIST or NURSE.")
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #1976d2.",
    )
    default_room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Room used when a session names none.",
    )


@strawberry.input(description="A kind of appointment.")
class CreateAppointmentTypeInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    duration_minutes: int = strawberry.field(description="Default length in minutes, 5-480.")
    buffer_after_minutes: int = strawberry.field(
        default=0,
        description="Minutes kept free afterwards, 0-120; default 0.",
    )
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #43a047.",
    )
    allowed_roles: list[str] = strawberry.field(
        default_factory=list,
        description=(
            "Practitioner roles that may perform it (DENTIST, HYGIENIST, THERAPIST, NURSE); empty "
            "for any."
        ),
    )
    restricted_procedure: bool = strawberry.field(
        default=False, description="Botulinum toxin, dermal filler: refused for under-18s."
    )
    recall_kind: str | None = strawberry.field(default=None, description="EXAM or HYGIENE.")


@strawberry.input(description="A nurse or piece of equipment booked with appointments.")
class CreateResourceInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the resource belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    kind: str = strawberry.field(description="STAFF or EQUIPMENT.")


@strawberry.input(description="A weekly working session in local wall-clock minutes.")
class AddWorkingSessionInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    practitioner_id: strawberry.ID = strawberry.field(
        description="Practitioner who works the session.",
    )
    weekday: int = strawberry.field(description="0 is Monday.")
    start_minute: int = strawberry.field(
        description="Start, minutes after local midnight (0-1439).",
    )
    end_minute: int = strawberry.field(
        description="End, minutes after local midnight (up to 1440); after the start.",
    )
    valid_from: date = strawberry.field(description="First day the pattern applies, YYYY-MM-DD.")
    valid_until: date | None = strawberry.field(
        default=None,
        description="Last day it applies, YYYY-MM-DD; null for open-ended.",
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Room for the session; null to use the practitioner's default.",
    )


@strawberry.input(description="Holiday, training or sickness.")
class RecordAbsenceInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    practitioner_id: strawberry.ID = strawberry.field(description="Practitioner who is away.")
    kind: str = strawberry.field(description="HOLIDAY, TRAINING, SICKNESS or OTHER.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")


@strawberry.input(description="The whole practice is shut.")
class AddClosureInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    reason: str = strawberry.field(description="Why, 1-200 characters.")


@strawberry.input(description="Opening hours for one weekday.")
class SetOpeningHoursInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    open_minute: int = strawberry.field(
        description="Opening time, minutes after local midnight (0-1439).",
    )
    close_minute: int = strawberry.field(
        description="Closing time, minutes after local midnight (up to 1440); after opening.",
    )


@strawberry.input(description="New values for a room; every editable value is replaced.")
class UpdateRoomInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    room_id: strawberry.ID = strawberry.field(description="The room to change.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )


@strawberry.input(description="Stops new bookings in a room; refused while future bookings use it.")
class ArchiveRoomInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    room_id: strawberry.ID = strawberry.field(description="The room to archive.")


@strawberry.input(description="New values for a practitioner; every editable value is replaced.")
class UpdatePractitionerInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    practitioner_id: strawberry.ID = strawberry.field(description="The practitioner to change.")
    role: str = strawberry.field(description="DENTIST, HYGIENIST, THERAPIST or NURSE.")
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )
    default_room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Room used when a session names none; null for none."
    )


@strawberry.input(
    description="Makes a practitioner unbookable; refused while future bookings are theirs."
)
class DeactivatePractitionerInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    practitioner_id: strawberry.ID = strawberry.field(description="The practitioner to deactivate.")


@strawberry.input(
    description="New values for an appointment type; every editable value is replaced."
)
class UpdateAppointmentTypeInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    appointment_type_id: strawberry.ID = strawberry.field(description="The type to change.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    duration_minutes: int = strawberry.field(description="Default length in minutes, 5-480.")
    buffer_after_minutes: int = strawberry.field(
        default=0, description="Minutes kept free afterwards, 0-120; default 0."
    )
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )
    allowed_roles: list[str] = strawberry.field(
        default_factory=list,
        description="Practitioner roles that may perform it; empty for any.",
    )
    restricted_procedure: bool = strawberry.field(
        default=False, description="Botulinum toxin, dermal filler: refused for under-18s."
    )
    recall_kind: str | None = strawberry.field(
        default=None, description="EXAM or HYGIENE; null for none."
    )


@strawberry.input(
    description="Stops new bookings of a type; refused while future bookings are of it."
)
class ArchiveAppointmentTypeInput:
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    appointment_type_id: strawberry.ID = strawberry.field(description="The type to archive.")


@strawberry.input(description="New values for a weekly session; every value is replaced.")
class UpdateWorkingSessionInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    session_id: strawberry.ID = strawberry.field(description="The session to change.")
    weekday: int = strawberry.field(description="0 is Monday.")
    start_minute: int = strawberry.field(
        description="Start, minutes after local midnight (0-1439).",
    )
    end_minute: int = strawberry.field(
        description="End, minutes after local midnight (up to 1440); after the start.",
    )
    valid_from: date = strawberry.field(description="First day the pattern applies, YYYY-MM-DD.")
    valid_until: date | None = strawberry.field(
        default=None, description="Last day it applies, YYYY-MM-DD; null for open-ended."
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Room for the session; null to use the practitioner's default."
    )


@strawberry.input(
    description="Removes a weekly session; refused while future bookings lie inside it."
)
class RemoveWorkingSessionInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    session_id: strawberry.ID = strawberry.field(description="The session to remove.")


@strawberry.input(description="New values for an absence; every value is replaced.")
class UpdateAbsenceInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    absence_id: strawberry.ID = strawberry.field(description="The absence to change.")
    kind: str = strawberry.field(description="HOLIDAY, TRAINING, SICKNESS or OTHER.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")


@strawberry.input(description="Removes an absence.")
class RemoveAbsenceInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    absence_id: strawberry.ID = strawberry.field(description="The absence to remove.")


@strawberry.input(description="New values for a closure; every value is replaced.")
class UpdateClosureInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    closure_id: strawberry.ID = strawberry.field(description="The closure to change.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    reason: str = strawberry.field(description="Why, 1-200 characters.")


@strawberry.input(description="Removes a closure.")
class RemoveClosureInput:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    closure_id: strawberry.ID = strawberry.field(description="The closure to remove.")


@strawberry.type(description="The id of what was created or changed.")
class SchedulingSetupPayload:
    id: strawberry.ID


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
