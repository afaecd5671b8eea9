"""Staff accounts as their admins see them, and the lifecycle inputs and payloads."""

from __future__ import annotations

import strawberry

from db.models import User
from graph.ids import IdFields
from graph.schema.identity import RoleEnum
from services.staff.lifecycle import StaffMember as StaffMemberData


@strawberry.type(description="A person working in a practice (or its organisation's admin).")
class StaffPerson:
    id: strawberry.ID
    email: str = strawberry.field(description="Sign-in email.")
    full_name: str = strawberry.field(description="Display name.")
    active: bool = strawberry.field(description="False once deactivated: cannot sign in.")
    mfa_enabled: bool = strawberry.field(description="Whether a second factor is enrolled.")
    roles: list[RoleEnum] = strawberry.field(  # type: ignore[valid-type]
        description="Roles held in this practice or, for ORG_ADMIN, its organisation."
    )

    @classmethod
    def from_data(cls, data: StaffMemberData) -> StaffPerson:
        return cls(
            id=strawberry.ID(str(data.user_id)),
            email=data.email,
            full_name=data.full_name,
            active=data.active,
            mfa_enabled=data.mfa_enabled,
            roles=list(data.roles),
        )


@strawberry.type(description="A staff account after a change.")
class StaffAccount:
    id: strawberry.ID
    active: bool = strawberry.field(description="Whether the account may sign in.")

    @classmethod
    def from_model(cls, user: User) -> StaffAccount:
        return cls(id=strawberry.ID(str(user.id)), active=user.is_active)


@strawberry.input(description="Give a staff member another role in a practice.")
class ChangeStaffRoleInput(IdFields):
    user_id: strawberry.ID = strawberry.field(description="The staff member's account.")
    practice_id: strawberry.ID = strawberry.field(description="A practice you administer.")
    role: RoleEnum = strawberry.field(  # type: ignore[valid-type]
        description="The new role (ORG_ADMIN: admin of the practice's organisation); "
        "at most your own."
    )


@strawberry.type(description="The role was changed; the person's live tokens must refresh.")
class ChangeStaffRolePayload:
    staff: StaffAccount = strawberry.field(description="The account changed.")


@strawberry.input(description="A staff account to deactivate or reactivate.")
class StaffAccountInput(IdFields):
    user_id: strawberry.ID = strawberry.field(description="The staff member's account.")


@strawberry.type(description="The account's new state.")
class StaffAccountPayload:
    staff: StaffAccount = strawberry.field(description="The account changed.")
