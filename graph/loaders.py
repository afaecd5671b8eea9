"""Per-request DataLoaders, named ``<result>_by_<key>``; rebuilt per operation on WebSockets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from db.models import Organization, Practice


async def _organizations(ids: Sequence[UUID]) -> list[Organization | None]:
    found = {o.id: o for o in await Organization.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


async def _practices(ids: Sequence[UUID]) -> list[Practice | None]:
    found = {p.id: p for p in await Practice.filter(id__in=list(ids))}
    return [found.get(i) for i in ids]


@dataclass(slots=True)
class Loaders:
    organization_by_id: DataLoader[UUID, Organization | None] = field(
        default_factory=lambda: DataLoader(load_fn=_organizations)
    )
    practice_by_id: DataLoader[UUID, Practice | None] = field(
        default_factory=lambda: DataLoader(load_fn=_practices)
    )
