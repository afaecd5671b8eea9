"""Queries for practices and organizations."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.ids import id_argument
from graph.permissions.fields import requires
from graph.schema.organizations import Organization, Practice
from services import practices
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
