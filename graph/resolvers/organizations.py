"""Queries for practices and organizations."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.organizations import (
    Organization,
    Practice,
    UpdateOrganizationInput,
    UpdateOrganizationPayload,
    UpdatePracticeInput,
    UpdatePracticePayload,
)
from services import practice_settings, practices
from services.policy import Scope


@strawberry.type
class OrganizationQueries:
    @strawberry.field(
        description="Practices the caller may see.", extensions=requires(Scope.PRACTICE_READ)
    )
    async def practices(self, info: Info) -> list[Practice] | None:
        found = await practices.list_practices(info.context.principal)
        return [Practice.from_model(p) for p in found]

    @strawberry.field(description="One practice by id.", extensions=requires(Scope.PRACTICE_READ))
    async def practice(self, info: Info, id: strawberry.ID) -> Practice | None:
        practice_id = id_argument(id=id)
        found = await practices.get_practice(info.context.principal, practice_id=practice_id)
        return Practice.from_model(found)

    @strawberry.field(description="Organizations the caller belongs to.")
    async def organizations(self, info: Info) -> list[Organization]:
        found = await practices.list_organizations(info.context.principal)
        return [Organization.from_model(o) for o in found]


@strawberry.type
class OrganizationMutations:
    @strawberry.mutation(
        description="Change a practice's name, address, time zone or jurisdiction.",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def update_practice(
        self, info: Info, input: UpdatePracticeInput
    ) -> UpdatePracticePayload | None:
        changes = practice_settings.PracticeChanges(
            name=input.name,
            address=input.address,
            timezone=input.timezone,
            jurisdiction=input.jurisdiction,
        )
        done = await practice_settings.update_practice(
            info.context.principal, practice_id=input.ids.practice_id, changes=changes
        )
        return UpdatePracticePayload(
            practice=Practice.from_model(done.practice),
            timezone_changed=done.timezone_changed,
            future_appointments=done.future_appointments,
        )

    @strawberry.mutation(
        description="Change an organisation's name or address (organisation admins).",
        extensions=requires(Scope.PRACTICE_WRITE),
    )
    async def update_organization(
        self, info: Info, input: UpdateOrganizationInput
    ) -> UpdateOrganizationPayload | None:
        found = await practice_settings.update_organization(
            info.context.principal,
            organization_id=input.ids.organization_id,
            name=input.name,
            address=input.address,
        )
        return UpdateOrganizationPayload(organization=Organization.from_model(found))
