"""Organizations and practices as the graph shows them."""

from __future__ import annotations

from uuid import UUID

import strawberry

from db.models import Organization as OrganizationModel
from db.models import Practice as PracticeModel


@strawberry.type(description="A client organization of the platform (a group of practices).")
class Organization:
    id: strawberry.ID
    name: str = strawberry.field(description="Trading name.")
    slug: str = strawberry.field(description="Short unique handle.")

    @classmethod
    def from_model(cls, model: OrganizationModel) -> Organization:
        return cls(id=strawberry.ID(str(model.id)), name=model.name, slug=model.slug)


@strawberry.type(description="A clinic site: its diary, staff and patients belong to it.")
class Practice:
    id: strawberry.ID
    name: str = strawberry.field(description="Display name of the practice.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/London.")
    jurisdiction: str = strawberry.field(
        description="Legal jurisdiction (ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND)."
    )
    organization_id: strawberry.ID = strawberry.field(description="Owning organization.")
    practice_id: strawberry.Private[UUID]

    @classmethod
    def from_model(cls, model: PracticeModel) -> Practice:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            timezone=model.timezone,
            jurisdiction=model.jurisdiction,
            organization_id=strawberry.ID(str(model.organization_id)),
            practice_id=model.id,
        )
