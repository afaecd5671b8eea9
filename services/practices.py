"""Reading the practices and organizations a principal belongs to."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from db.models import Organization, Practice
from db.queries import organizations as queries
from db.tenancy import PracticeId
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal


def _visible_practices(principal: Principal) -> frozenset[PracticeId]:
    return principal.practices_with(Scope.PRACTICE_READ)


async def list_practices(principal: Principal) -> list[Practice]:
    if Scope.ORGANIZATION_ADMIN in principal.global_scopes:
        return await queries.every_practice()
    return await queries.practices(_visible_practices(principal))


async def get_practice(principal: Principal, *, practice_id: UUID) -> Practice:
    found = await queries.practice(_visible_practices(principal), practice_id)
    if found is None:
        raise NotFound("Practice")
    return found


async def get_practices(
    principal: Principal, *, practice_ids: Collection[UUID]
) -> dict[UUID, Practice]:
    """:func:`get_practice` for many ids at once (one statement): the ones it would return."""
    found = await queries.practices_by_ids(_visible_practices(principal), practice_ids)
    return {UUID(str(p.id)): p for p in found}


async def list_organizations(principal: Principal) -> list[Organization]:
    if Scope.ORGANIZATION_ADMIN in principal.global_scopes:
        return await queries.every_organization()
    return await queries.organizations(principal.organization_ids)
