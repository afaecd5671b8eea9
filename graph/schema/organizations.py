"""Organizations and practices as the graph shows them."""

from __future__ import annotations

from uuid import UUID

import strawberry

from db.models import Organization as OrganizationModel
from db.models import Practice as PracticeModel
from graph.ids import IdFields
from graph.schema.nodes import Node


@strawberry.type(description="A client organization of the platform (a group of practices).")
class Organization:
    id: strawberry.ID
    name: str = strawberry.field(description="Trading name.")
    slug: str = strawberry.field(description="Short unique handle.")
    address: str | None = strawberry.field(description="Postal address; null when not set.")

    @classmethod
    def from_model(cls, model: OrganizationModel) -> Organization:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            slug=model.slug,
            address=model.address,
        )


@strawberry.type(description="A clinic site: its diary, staff and patients belong to it.")
class Practice(Node):
    id: strawberry.ID
    name: str = strawberry.field(description="Display name of the practice.")
    timezone: str = strawberry.field(description="IANA time zone, e.g. Europe/London.")
    jurisdiction: str = strawberry.field(
        description="Legal jurisdiction (ENGLAND, WALES, SCOTLAND, NORTHERN_IRELAND)."
    )
    address: str | None = strawberry.field(description="Postal address; null when not set.")
    organization_id: strawberry.ID = strawberry.field(description="Owning organization.")
    practice_id: strawberry.Private[UUID]

    @classmethod
    def from_model(cls, model: PracticeModel) -> Practice:
        return cls(
            id=strawberry.ID(str(model.id)),
            name=model.name,
            timezone=model.timezone,
            jurisdiction=model.jurisdiction,
            address=model.address,
            organization_id=strawberry.ID(str(model.organization_id)),
            practice_id=model.id,
        )


@strawberry.input(description="Practice settings to change; omitted fields stay as they are.")
class UpdatePracticeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="A practice you administer.")
    name: str | None = strawberry.field(default=None, description="Display name, 1-200.")
    address: str | None = strawberry.field(
        default=None, description="Postal address, up to 500 characters (lines allowed)."
    )
    timezone: str | None = strawberry.field(
        default=None,
        description="IANA time zone (Europe/London). Appointments keep their instant (stored "
        "in UTC); their local times, and working hours, follow the new zone.",
    )
    jurisdiction: str | None = strawberry.field(
        default=None, description="ENGLAND, WALES, SCOTLAND or NORTHERN_IRELAND."
    )


@strawberry.type(description="The practice after the change.")
class UpdatePracticePayload:
    practice: Practice = strawberry.field(description="The practice.")
    timezone_changed: bool = strawberry.field(description="Whether the time zone changed.")
    future_appointments: int = strawberry.field(
        description="Future appointments whose local time now reads in the new zone (same "
        "instant); 0 when the zone did not change."
    )


@strawberry.input(description="Organisation settings to change; omitted fields stay.")
class UpdateOrganizationInput(IdFields):
    organization_id: strawberry.ID = strawberry.field(description="An organisation you administer.")
    name: str | None = strawberry.field(default=None, description="Trading name, 1-200.")
    address: str | None = strawberry.field(
        default=None, description="Postal address, up to 500 characters (lines allowed)."
    )


@strawberry.type(description="The organisation after the change.")
class UpdateOrganizationPayload:
    organization: Organization = strawberry.field(description="The organisation.")
