"""Setting up the diary: rooms, practitioners, appointment types and extra resources (the rota's
mutations come from ``scheduling_rota``). Each mutation returns the id of the item it created,
changed, archived or reactivated. Updates replace every editable value (send the current ones to
keep them); rooms, types, resources and practitioners are archived (deactivated), never deleted,
and can be reactivated."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.resolvers.scheduling_rota import ADMIN, SchedulingRotaMutations, done
from graph.schema.scheduling_lifecycle import (
    ArchiveResourceInput,
    ReactivateAppointmentTypeInput,
    ReactivatePractitionerInput,
    ReactivateResourceInput,
    ReactivateRoomInput,
    UpdateResourceInput,
)
from graph.schema.scheduling_setup import (
    ArchiveAppointmentTypeInput,
    ArchiveRoomInput,
    CreateAppointmentTypeInput,
    CreatePractitionerInput,
    CreateResourceInput,
    CreateRoomInput,
    DeactivatePractitionerInput,
    SchedulingSetupPayload,
    UpdateAppointmentTypeInput,
    UpdatePractitionerInput,
    UpdateRoomInput,
)
from services.scheduling import practitioners, resources

Payload = SchedulingSetupPayload | None


def _type_values(
    input: CreateAppointmentTypeInput | UpdateAppointmentTypeInput,
) -> dict[str, object]:
    return resources.type_values(
        name=input.name,
        duration_minutes=input.duration_minutes,
        buffer_after_minutes=input.buffer_after_minutes,
        colour=input.colour,
        allowed_roles=input.allowed_roles,
        restricted_procedure=input.restricted_procedure,
        recall_kind=input.recall_kind,
        online_bookable=input.online_bookable,
        aesthetic_kind=input.aesthetic_kind,
        cooling_off_hours=input.cooling_off_hours,
        requires_registration=input.requires_registration,
    )


@strawberry.type
class SchedulingAdminMutations(SchedulingRotaMutations):
    @strawberry.mutation(description="Adds a room.", extensions=ADMIN)
    async def create_room(self, info: Info, input: CreateRoomInput) -> Payload:
        return done(
            await resources.create_room(
                info.context.principal,
                practice_id=input.ids.practice_id,
                name=input.name,
                colour=input.colour,
            )
        )

    @strawberry.mutation(description="Renames or recolours a room.", extensions=ADMIN)
    async def update_room(self, info: Info, input: UpdateRoomInput) -> Payload:
        return done(
            await resources.update_room(
                info.context.principal,
                practice_id=input.ids.practice_id,
                room_id=input.ids.room_id,
                name=input.name,
                colour=input.colour,
            )
        )

    @strawberry.mutation(description="Archives a room: no new bookings.", extensions=ADMIN)
    async def archive_room(self, info: Info, input: ArchiveRoomInput) -> Payload:
        return done(
            await resources.archive_room(
                info.context.principal,
                practice_id=input.ids.practice_id,
                room_id=input.ids.room_id,
            )
        )

    @strawberry.mutation(description="Makes an archived room bookable again.", extensions=ADMIN)
    async def reactivate_room(self, info: Info, input: ReactivateRoomInput) -> Payload:
        return done(
            await resources.reactivate_room(
                info.context.principal,
                practice_id=input.ids.practice_id,
                room_id=input.ids.room_id,
            )
        )

    @strawberry.mutation(description="Makes a staff member bookable.", extensions=ADMIN)
    async def create_practitioner(self, info: Info, input: CreatePractitionerInput) -> Payload:
        return done(
            await practitioners.create_practitioner(
                info.context.principal,
                practice_id=input.ids.practice_id,
                user_id=input.ids.user_id,
                role=input.role,
                colour=input.colour,
                default_room_id=input.optional_ids.default_room_id,
            )
        )

    @strawberry.mutation(description="Changes a practitioner's profile.", extensions=ADMIN)
    async def update_practitioner(self, info: Info, input: UpdatePractitionerInput) -> Payload:
        return done(
            await practitioners.update_practitioner(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
                role=input.role,
                colour=input.colour,
                default_room_id=input.optional_ids.default_room_id,
            )
        )

    @strawberry.mutation(description="Makes a practitioner unbookable.", extensions=ADMIN)
    async def deactivate_practitioner(
        self, info: Info, input: DeactivatePractitionerInput
    ) -> Payload:
        return done(
            await practitioners.deactivate_practitioner(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
            )
        )

    @strawberry.mutation(
        description="Makes a deactivated practitioner bookable again.", extensions=ADMIN
    )
    async def reactivate_practitioner(
        self, info: Info, input: ReactivatePractitionerInput
    ) -> Payload:
        return done(
            await practitioners.reactivate_practitioner(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
            )
        )

    @strawberry.mutation(description="Adds an appointment type.", extensions=ADMIN)
    async def create_appointment_type(
        self, info: Info, input: CreateAppointmentTypeInput
    ) -> Payload:
        return done(
            await resources.create_appointment_type(
                info.context.principal,
                practice_id=input.ids.practice_id,
                values=_type_values(input),
            )
        )

    @strawberry.mutation(description="Changes an appointment type.", extensions=ADMIN)
    async def update_appointment_type(
        self, info: Info, input: UpdateAppointmentTypeInput
    ) -> Payload:
        return done(
            await resources.update_appointment_type(
                info.context.principal,
                practice_id=input.ids.practice_id,
                appointment_type_id=input.ids.appointment_type_id,
                values=_type_values(input),
            )
        )

    @strawberry.mutation(
        description="Archives an appointment type: no new bookings.", extensions=ADMIN
    )
    async def archive_appointment_type(
        self, info: Info, input: ArchiveAppointmentTypeInput
    ) -> Payload:
        return done(
            await resources.archive_appointment_type(
                info.context.principal,
                practice_id=input.ids.practice_id,
                appointment_type_id=input.ids.appointment_type_id,
            )
        )

    @strawberry.mutation(
        description="Makes an archived appointment type bookable again.", extensions=ADMIN
    )
    async def reactivate_appointment_type(
        self, info: Info, input: ReactivateAppointmentTypeInput
    ) -> Payload:
        return done(
            await resources.reactivate_appointment_type(
                info.context.principal,
                practice_id=input.ids.practice_id,
                appointment_type_id=input.ids.appointment_type_id,
            )
        )

    @strawberry.mutation(description="Adds an extra resource.", extensions=ADMIN)
    async def create_resource(self, info: Info, input: CreateResourceInput) -> Payload:
        return done(
            await resources.create_resource(
                info.context.principal,
                practice_id=input.ids.practice_id,
                name=input.name,
                kind=input.kind,
            )
        )

    @strawberry.mutation(
        description="Renames an extra resource or changes its kind.", extensions=ADMIN
    )
    async def update_resource(self, info: Info, input: UpdateResourceInput) -> Payload:
        return done(
            await resources.update_resource(
                info.context.principal,
                practice_id=input.ids.practice_id,
                resource_id=input.ids.resource_id,
                name=input.name,
                kind=input.kind,
            )
        )

    @strawberry.mutation(
        description="Archives an extra resource: no new bookings.", extensions=ADMIN
    )
    async def archive_resource(self, info: Info, input: ArchiveResourceInput) -> Payload:
        return done(
            await resources.archive_resource(
                info.context.principal,
                practice_id=input.ids.practice_id,
                resource_id=input.ids.resource_id,
            )
        )

    @strawberry.mutation(
        description="Makes an archived extra resource bookable again.", extensions=ADMIN
    )
    async def reactivate_resource(self, info: Info, input: ReactivateResourceInput) -> Payload:
        return done(
            await resources.reactivate_resource(
                info.context.principal,
                practice_id=input.ids.practice_id,
                resource_id=input.ids.resource_id,
            )
        )
