"""Rota mutations: weekly working sessions, absences, closures and opening hours.

A change that would leave live bookings outside bookable time is refused with CONFLICT unless
its input sets ``acceptAffectedBookings``; the payload then lists those bookings.
"""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.scheduling_lifecycle import RemoveOpeningHoursInput
from graph.schema.scheduling_setup import (
    AddClosureInput,
    AddWorkingSessionInput,
    RecordAbsenceInput,
    RemoveAbsenceInput,
    RemoveClosureInput,
    RemoveWorkingSessionInput,
    SchedulingSetupPayload,
    SetOpeningHoursInput,
    UpdateAbsenceInput,
    UpdateClosureInput,
    UpdateWorkingSessionInput,
)
from services.policy import Scope
from services.scheduling import sessions, timeoff

ADMIN = requires(Scope.PRACTICE_WRITE)
RECEPTION = requires(Scope.SCHEDULE_WRITE)


done = SchedulingSetupPayload.from_saved


@strawberry.type
class SchedulingRotaMutations:
    @strawberry.mutation(description="Adds a weekly working session.", extensions=ADMIN)
    async def add_working_session(
        self, info: Info, input: AddWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        values = sessions.session_values(
            input.weekday, input.start_minute, input.end_minute, input.valid_from, input.valid_until
        )
        return done(
            await sessions.add_session(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
                room_id=input.optional_ids.room_id,
                values=values,
            )
        )

    @strawberry.mutation(description="Changes a weekly working session.", extensions=ADMIN)
    async def update_working_session(
        self, info: Info, input: UpdateWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        values = sessions.session_values(
            input.weekday, input.start_minute, input.end_minute, input.valid_from, input.valid_until
        )
        return done(
            await sessions.update_session(
                info.context.principal,
                practice_id=input.ids.practice_id,
                session_id=input.ids.session_id,
                room_id=input.optional_ids.room_id,
                values=values,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Removes a weekly working session.", extensions=ADMIN)
    async def remove_working_session(
        self, info: Info, input: RemoveWorkingSessionInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await sessions.remove_session(
                info.context.principal,
                practice_id=input.ids.practice_id,
                session_id=input.ids.session_id,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Records an absence.", extensions=RECEPTION)
    async def record_absence(
        self, info: Info, input: RecordAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.record_absence(
                info.context.principal,
                practice_id=input.ids.practice_id,
                practitioner_id=input.ids.practitioner_id,
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Changes an absence.", extensions=RECEPTION)
    async def update_absence(
        self, info: Info, input: UpdateAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.update_absence(
                info.context.principal,
                practice_id=input.ids.practice_id,
                absence_id=input.ids.absence_id,
                kind=input.kind,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Removes an absence.", extensions=RECEPTION)
    async def remove_absence(
        self, info: Info, input: RemoveAbsenceInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.remove_absence(
                info.context.principal,
                practice_id=input.ids.practice_id,
                absence_id=input.ids.absence_id,
            )
        )

    @strawberry.mutation(description="Closes the practice for a span.", extensions=ADMIN)
    async def add_closure(
        self, info: Info, input: AddClosureInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.add_closure(
                info.context.principal,
                practice_id=input.ids.practice_id,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                reason=input.reason,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Changes a closure.", extensions=ADMIN)
    async def update_closure(
        self, info: Info, input: UpdateClosureInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.update_closure(
                info.context.principal,
                practice_id=input.ids.practice_id,
                closure_id=input.ids.closure_id,
                starts_at=input.starts_at,
                ends_at=input.ends_at,
                reason=input.reason,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Removes a closure.", extensions=ADMIN)
    async def remove_closure(
        self, info: Info, input: RemoveClosureInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await timeoff.remove_closure(
                info.context.principal,
                practice_id=input.ids.practice_id,
                closure_id=input.ids.closure_id,
            )
        )

    @strawberry.mutation(description="Sets one weekday's opening hours.", extensions=ADMIN)
    async def set_opening_hours(
        self, info: Info, input: SetOpeningHoursInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await sessions.set_opening_hours(
                info.context.principal,
                practice_id=input.ids.practice_id,
                weekday=input.weekday,
                open_minute=input.open_minute,
                close_minute=input.close_minute,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )

    @strawberry.mutation(description="Removes one weekday's opening hours.", extensions=ADMIN)
    async def remove_opening_hours(
        self, info: Info, input: RemoveOpeningHoursInput
    ) -> SchedulingSetupPayload | None:
        return done(
            await sessions.remove_opening_hours(
                info.context.principal,
                practice_id=input.ids.practice_id,
                weekday=input.weekday,
                accept_affected_bookings=input.accept_affected_bookings,
            )
        )
