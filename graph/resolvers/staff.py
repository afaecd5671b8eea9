"""Staff lifecycle for admins: the staff list, role changes, deactivation (``staff:admin``)."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.staff import (
    ChangeStaffRoleInput,
    ChangeStaffRolePayload,
    StaffAccount,
    StaffAccountInput,
    StaffAccountPayload,
    StaffPerson,
)
from services.policy import Role, Scope
from services.staff import lifecycle


@strawberry.type
class StaffQueries:
    @strawberry.field(
        description="The practice's staff and its organisation's admins, by name.",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    async def staff_members(
        self, info: Info, practice_id: strawberry.ID
    ) -> list[StaffPerson] | None:
        rows = await lifecycle.staff_members(
            info.context.principal, practice_id=id_argument(practice_id=practice_id)
        )
        return [StaffPerson.from_data(row) for row in rows]


@strawberry.type
class StaffMutations:
    @strawberry.mutation(
        description="Change a staff member's role in a practice you administer.",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    async def change_staff_role(
        self, info: Info, input: ChangeStaffRoleInput
    ) -> ChangeStaffRolePayload | None:
        user = await lifecycle.change_role(
            info.context.principal,
            user_id=input.ids.user_id,
            practice_id=input.ids.practice_id,
            role=Role(input.role),
        )
        return ChangeStaffRolePayload(staff=StaffAccount.from_model(user))

    @strawberry.mutation(
        description="Deactivate a staff account: it cannot sign in; every session ends now.",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    async def deactivate_staff(
        self, info: Info, input: StaffAccountInput
    ) -> StaffAccountPayload | None:
        user = await lifecycle.set_active(
            info.context.principal, user_id=input.ids.user_id, active=False
        )
        return StaffAccountPayload(staff=StaffAccount.from_model(user))

    @strawberry.mutation(
        description="Reactivate a deactivated staff account (it signs in afresh).",
        extensions=requires(Scope.STAFF_ADMIN),
    )
    async def reactivate_staff(
        self, info: Info, input: StaffAccountInput
    ) -> StaffAccountPayload | None:
        user = await lifecycle.set_active(
            info.context.principal, user_id=input.ids.user_id, active=True
        )
        return StaffAccountPayload(staff=StaffAccount.from_model(user))
