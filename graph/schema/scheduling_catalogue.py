"""The diary's set-up items as the board lists them (its columns and pickers)."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import strawberry

from db.models import AppointmentType as AppointmentTypeModel
from db.models import ExtraResource as ExtraResourceModel
from db.models import Practitioner as PractitionerModel
from db.models import Room as RoomModel
from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.nodes import Node
from graph.schema.registrations import ProfessionalRegistration
from graph.schema.scheduling_kinds import AestheticKind, PractitionerRole, RecallKind, ResourceKind
from services.policy import Scope
from services.scheduling import kinds


def _id(value: Any) -> strawberry.ID:
    return strawberry.ID(str(value))


@strawberry.type(description="A practitioner of the practice: a column of the board.")
class Practitioner(Node):
    id: strawberry.ID
    display_name: str = strawberry.field(description="Name shown on the board.")
    role: PractitionerRole = strawberry.field(description="Clinical role in the practice.")  # type: ignore[valid-type]
    colour: str = strawberry.field(description="Board colour, CSS hex (e.g. #1976d2).")
    default_room_id: strawberry.ID | None = strawberry.field(
        description="Room used when a working session names none; null for none."
    )
    active: bool = strawberry.field(description="False once deactivated (archived).")

    @strawberry.field(
        description="Professional registrations (GMC, NMC, GDC, GPHC), revoked ones included, "
        "by body.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def registrations(self, info: Info) -> list[ProfessionalRegistration] | None:
        allowed = frozenset(info.context.principal.practices_with(Scope.SCHEDULE_READ))
        key = (allowed, UUID(str(self.id)))
        rows = await info.context.loaders.registrations_by_practitioner.load(key)
        return [ProfessionalRegistration.from_model(r) for r in rows]

    @classmethod
    def from_model(cls, row: PractitionerModel) -> Practitioner:
        return cls(
            id=_id(row.id),
            display_name=row.display_name,
            role=kinds.PractitionerRole(row.role),
            colour=row.colour,
            default_room_id=_id(row.default_room_id) if row.default_room_id else None,
            active=row.active,
        )


@strawberry.type(description="A surgery or chair of the practice.")
class Room:
    id: strawberry.ID
    name: str = strawberry.field(description="Room name shown on the board.")
    colour: str = strawberry.field(description="Board colour, CSS hex (e.g. #9e9e9e).")
    active: bool = strawberry.field(description="False once archived.")

    @classmethod
    def from_model(cls, row: RoomModel) -> Room:
        return cls(id=_id(row.id), name=row.name, colour=row.colour, active=row.active)


@strawberry.type(description="A kind of appointment the practice books.")
class AppointmentType:
    id: strawberry.ID
    name: str = strawberry.field(description="Type name, e.g. exam or hygiene.")
    duration_minutes: int = strawberry.field(description="Default length in minutes.")
    buffer_after_minutes: int = strawberry.field(description="Minutes kept free afterwards.")
    colour: str = strawberry.field(description="Board colour, CSS hex (e.g. #43a047).")
    allowed_roles: list[PractitionerRole] = strawberry.field(  # type: ignore[valid-type]
        description="Practitioner roles that may perform it; empty for any."
    )
    restricted_procedure: bool = strawberry.field(
        description="Botulinum toxin, dermal filler: refused for under-18s."
    )
    recall_kind: RecallKind | None = strawberry.field(  # type: ignore[valid-type]
        description="The recall a completed visit of this type moves on; null for none."
    )
    online_bookable: bool = strawberry.field(
        description="Patients may book it themselves in the portal."
    )
    aesthetic_kind: AestheticKind | None = strawberry.field(  # type: ignore[valid-type]
        description="Aesthetic treatment kind; null for dental work."
    )
    cooling_off_hours: int = strawberry.field(
        description="Minimum hours between the signed consultation consent and the treatment; 0 "
        "for none."
    )
    requires_registration: bool = strawberry.field(
        description="The practitioner needs a current professional registration on the day."
    )
    active: bool = strawberry.field(description="False once archived.")

    @classmethod
    def from_model(cls, row: AppointmentTypeModel) -> AppointmentType:
        return cls(
            id=_id(row.id),
            name=row.name,
            duration_minutes=row.duration_minutes,
            buffer_after_minutes=row.buffer_after_minutes,
            colour=row.colour,
            allowed_roles=[kinds.PractitionerRole(r) for r in row.allowed_roles],
            restricted_procedure=row.restricted_procedure,
            recall_kind=kinds.RecallKind(row.recall_kind) if row.recall_kind else None,
            online_bookable=row.online_bookable,
            aesthetic_kind=kinds.AestheticKind(row.aesthetic_kind) if row.aesthetic_kind else None,
            cooling_off_hours=row.cooling_off_hours or 0,
            requires_registration=row.requires_registration,
            active=row.active,
        )


@strawberry.type(description="A nurse or piece of equipment booked alongside appointments.")
class ExtraResource:
    id: strawberry.ID
    name: str = strawberry.field(description="Name shown when booking.")
    kind: ResourceKind = strawberry.field(description="Staff or equipment.")  # type: ignore[valid-type]
    active: bool = strawberry.field(description="False once archived.")

    @classmethod
    def from_model(cls, row: ExtraResourceModel) -> ExtraResource:
        return cls(
            id=_id(row.id), name=row.name, kind=kinds.ResourceKind(row.kind), active=row.active
        )
