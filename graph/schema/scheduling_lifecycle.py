"""Inputs that bring archived set-up items back, change and retire extra resources, and remove a
weekday's opening hours (the rest of the set-up inputs are in ``scheduling_setup``)."""

from __future__ import annotations

import strawberry

from graph.ids import IdFields
from graph.schema.scheduling_kinds import ResourceKind
from graph.schema.scheduling_setup import ACCEPT_DESCRIPTION


@strawberry.input(description="Makes an archived room bookable again.")
class ReactivateRoomInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    room_id: strawberry.ID = strawberry.field(description="The archived room.")


@strawberry.input(description="Makes an archived appointment type bookable again.")
class ReactivateAppointmentTypeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    appointment_type_id: strawberry.ID = strawberry.field(description="The archived type.")


@strawberry.input(
    description="Makes a deactivated practitioner bookable again; they must still be on the staff."
)
class ReactivatePractitionerInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    practitioner_id: strawberry.ID = strawberry.field(description="The deactivated practitioner.")


@strawberry.input(description="New values for an extra resource; every value is replaced.")
class UpdateResourceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the resource belongs to.")
    resource_id: strawberry.ID = strawberry.field(description="The resource to change.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    kind: ResourceKind = strawberry.field(description="Staff or equipment.")  # type: ignore[valid-type]


@strawberry.input(
    description="Stops new bookings of a resource; refused while future bookings use it."
)
class ArchiveResourceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the resource belongs to.")
    resource_id: strawberry.ID = strawberry.field(description="The resource to archive.")


@strawberry.input(description="Makes an archived extra resource bookable again.")
class ReactivateResourceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the resource belongs to.")
    resource_id: strawberry.ID = strawberry.field(description="The archived resource.")


@strawberry.input(
    description=(
        "Removes one weekday's opening hours: that day is closed while other days keep hours; "
        "removing the last entry leaves every day open to the working sessions."
    )
)
class RemoveOpeningHoursInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)
