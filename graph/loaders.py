"""Per-request DataLoaders, named ``<result>_by_<key>``; rebuilt per operation on WebSockets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from db.models import Organization, Practice, ProfessionalRegistration
from db.queries import registrations
from db.tenancy import PracticeId

# A practitioner the caller reached, and the practices the caller may read its diary in.
RegistrationsKey = tuple[frozenset[PracticeId], UUID]


async def _organizations(ids: Sequence[UUID]) -> list[Organization | None]:
    found = {o.id: o for o in await Organization.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def _practices(ids: Sequence[UUID]) -> list[Practice | None]:
    found = {p.id: p for p in await Practice.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def _registrations(
    keys: Sequence[RegistrationsKey],
) -> list[list[ProfessionalRegistration]]:
    allowed: frozenset[PracticeId] = frozenset().union(*(k[0] for k in keys))
    rows = await registrations.of_practitioners(allowed, {k[1] for k in keys})
    return [[r for r in rows if r.practitioner_id == k[1] and r.practice_id in k[0]] for k in keys]


@dataclass(slots=True)
class Loaders:
    organization_by_id: DataLoader[UUID, Organization | None] = field(
        default_factory=lambda: DataLoader(load_fn=_organizations)
    )
    practice_by_id: DataLoader[UUID, Practice | None] = field(
        default_factory=lambda: DataLoader(load_fn=_practices)
    )
    registrations_by_practitioner: DataLoader[RegistrationsKey, list[ProfessionalRegistration]] = (
        field(default_factory=lambda: DataLoader(load_fn=_registrations))
    )
