"""Inputs and payload of the scheduling set-up mutations (rooms, practitioners, appointment
types, resources, working sessions, absences, closures, opening hours)."""

from __future__ import annotations

from datetime import date, datetime

import strawberry

from graph.ids import IdFields
from graph.schema.scheduling_kinds import (
    AbsenceKind,
    AestheticKind,
    PractitionerRole,
    RecallKind,
    ResourceKind,
)
from services.scheduling.setup import Saved

ACCEPT_DESCRIPTION = (
    "False (default): refused with CONFLICT (extensions.affectedAppointmentCount, "
    "appointmentIds) if live bookings would fall outside bookable time. True: change anyway; "
    "those bookings stay as they are and are listed in the payload's affectedAppointmentIds "
    "(and on the board's SETUP_CHANGED event) for reception to rebook."
)


@strawberry.input(description="A surgery or chair.")
class CreateRoomInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #9e9e9e.",
    )


@strawberry.input(description="A staff member's clinical profile in a practice.")
class CreatePractitionerInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    user_id: strawberry.ID = strawberry.field(description="The staff member's user id.")
    role: PractitionerRole = strawberry.field(  # type: ignore[valid-type]
        description="Clinical role in the practice."
    )
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #1976d2.",
    )
    default_room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Room used when a session names none.",
    )


@strawberry.input(description="A kind of appointment.")
class CreateAppointmentTypeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    duration_minutes: int = strawberry.field(description="Default length in minutes, 5-480.")
    buffer_after_minutes: int = strawberry.field(
        default=0,
        description="Minutes kept free afterwards, 0-120; default 0.",
    )
    colour: str | None = strawberry.field(
        default=None,
        description="Display colour, #RRGGBB; default #43a047.",
    )
    allowed_roles: list[PractitionerRole] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description=(
            "Practitioner roles that may perform it (DENTIST, HYGIENIST, THERAPIST, NURSE); empty "
            "for any."
        ),
    )
    restricted_procedure: bool = strawberry.field(
        default=False, description="Botulinum toxin, dermal filler: refused for under-18s."
    )
    recall_kind: RecallKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The recall a completed visit of this type moves on; null for none.",
    )
    online_bookable: bool = strawberry.field(
        default=False, description="Patients may book it themselves in the portal; default false."
    )
    aesthetic_kind: AestheticKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description=(
            "Aesthetic treatment kind (TOXIN, FILLER, SKIN_BOOSTER, OTHER); null for dental work. "
            "The patient's signed CONSULTATION consent form of this kind starts the cooling-off "
            "period."
        ),
    )
    cooling_off_hours: int = strawberry.field(
        default=0,
        description=(
            "Minimum hours (0-2160) between the patient's signed consultation consent and the "
            "treatment; booking inside it is refused with CONFLICT naming the earliest allowed "
            "start. Needs aestheticKind when above 0; default 0 (none)."
        ),
    )
    requires_registration: bool = strawberry.field(
        default=False,
        description=(
            "The practitioner must hold an unexpired, unrevoked professional registration on the "
            "appointment day; default false."
        ),
    )


@strawberry.input(description="A nurse or piece of equipment booked with appointments.")
class CreateResourceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the resource belongs to.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    kind: ResourceKind = strawberry.field(description="Staff or equipment.")  # type: ignore[valid-type]


@strawberry.input(description="A weekly working session in local wall-clock minutes.")
class AddWorkingSessionInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    practitioner_id: strawberry.ID = strawberry.field(
        description="Practitioner who works the session.",
    )
    weekday: int = strawberry.field(description="0 is Monday.")
    start_minute: int = strawberry.field(
        description="Start, minutes after local midnight (0-1439).",
    )
    end_minute: int = strawberry.field(
        description="End, minutes after local midnight (up to 1440); after the start.",
    )
    valid_from: date = strawberry.field(description="First day the pattern applies, YYYY-MM-DD.")
    valid_until: date | None = strawberry.field(
        default=None,
        description="Last day it applies, YYYY-MM-DD; null for open-ended.",
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None,
        description="Room for the session; null to use the practitioner's default.",
    )


@strawberry.input(description="Holiday, training or sickness.")
class RecordAbsenceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    practitioner_id: strawberry.ID = strawberry.field(description="Practitioner who is away.")
    kind: AbsenceKind = strawberry.field(description="Why they are away.")  # type: ignore[valid-type]
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="The whole practice is shut.")
class AddClosureInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    reason: str = strawberry.field(description="Why, 1-200 characters.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="Opening hours for one weekday.")
class SetOpeningHoursInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    weekday: int = strawberry.field(description="0 is Monday, 6 is Sunday.")
    open_minute: int = strawberry.field(
        description="Opening time, minutes after local midnight (0-1439).",
    )
    close_minute: int = strawberry.field(
        description="Closing time, minutes after local midnight (up to 1440); after opening.",
    )
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="New values for a room; every editable value is replaced.")
class UpdateRoomInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    room_id: strawberry.ID = strawberry.field(description="The room to change.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )


@strawberry.input(description="Stops new bookings in a room; refused while future bookings use it.")
class ArchiveRoomInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the room belongs to.")
    room_id: strawberry.ID = strawberry.field(description="The room to archive.")


@strawberry.input(description="New values for a practitioner; every editable value is replaced.")
class UpdatePractitionerInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    practitioner_id: strawberry.ID = strawberry.field(description="The practitioner to change.")
    role: PractitionerRole = strawberry.field(  # type: ignore[valid-type]
        description="Clinical role in the practice."
    )
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )
    default_room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Room used when a session names none; null for none."
    )


@strawberry.input(
    description="Makes a practitioner unbookable; refused while future bookings are theirs."
)
class DeactivatePractitionerInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the practitioner works in.")
    practitioner_id: strawberry.ID = strawberry.field(description="The practitioner to deactivate.")


@strawberry.input(
    description="New values for an appointment type; every editable value is replaced."
)
class UpdateAppointmentTypeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    appointment_type_id: strawberry.ID = strawberry.field(description="The type to change.")
    name: str = strawberry.field(description="Name, 1-120 characters.")
    duration_minutes: int = strawberry.field(description="Default length in minutes, 5-480.")
    buffer_after_minutes: int = strawberry.field(
        default=0, description="Minutes kept free afterwards, 0-120; default 0."
    )
    colour: str | None = strawberry.field(
        default=None, description="Display colour, #RRGGBB; null keeps the current one."
    )
    allowed_roles: list[PractitionerRole] = strawberry.field(  # type: ignore[valid-type]
        default_factory=list,
        description="Practitioner roles that may perform it; empty for any.",
    )
    restricted_procedure: bool = strawberry.field(
        default=False, description="Botulinum toxin, dermal filler: refused for under-18s."
    )
    recall_kind: RecallKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description="The recall a completed visit of this type moves on; null for none.",
    )
    online_bookable: bool = strawberry.field(
        default=False, description="Patients may book it themselves in the portal."
    )
    aesthetic_kind: AestheticKind | None = strawberry.field(  # type: ignore[valid-type]
        default=None,
        description=(
            "Aesthetic treatment kind (TOXIN, FILLER, SKIN_BOOSTER, OTHER); null for dental work. "
            "The patient's signed CONSULTATION consent form of this kind starts the cooling-off "
            "period."
        ),
    )
    cooling_off_hours: int = strawberry.field(
        default=0,
        description=(
            "Minimum hours (0-2160) between the patient's signed consultation consent and the "
            "treatment; booking inside it is refused with CONFLICT naming the earliest allowed "
            "start. Needs aestheticKind when above 0; default 0 (none)."
        ),
    )
    requires_registration: bool = strawberry.field(
        default=False,
        description=(
            "The practitioner must hold an unexpired, unrevoked professional registration on the "
            "appointment day; default false."
        ),
    )


@strawberry.input(
    description="Stops new bookings of a type; refused while future bookings are of it."
)
class ArchiveAppointmentTypeInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="Practice the type belongs to.")
    appointment_type_id: strawberry.ID = strawberry.field(description="The type to archive.")


@strawberry.input(description="New values for a weekly session; every value is replaced.")
class UpdateWorkingSessionInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    session_id: strawberry.ID = strawberry.field(description="The session to change.")
    weekday: int = strawberry.field(description="0 is Monday.")
    start_minute: int = strawberry.field(
        description="Start, minutes after local midnight (0-1439).",
    )
    end_minute: int = strawberry.field(
        description="End, minutes after local midnight (up to 1440); after the start.",
    )
    valid_from: date = strawberry.field(description="First day the pattern applies, YYYY-MM-DD.")
    valid_until: date | None = strawberry.field(
        default=None, description="Last day it applies, YYYY-MM-DD; null for open-ended."
    )
    room_id: strawberry.ID | None = strawberry.field(
        default=None, description="Room for the session; null to use the practitioner's default."
    )
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(
    description=(
        "Removes a weekly session; refused while live bookings would be left outside bookable "
        "time, unless accepted."
    )
)
class RemoveWorkingSessionInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    session_id: strawberry.ID = strawberry.field(description="The session to remove.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="New values for an absence; every value is replaced.")
class UpdateAbsenceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    absence_id: strawberry.ID = strawberry.field(description="The absence to change.")
    kind: AbsenceKind = strawberry.field(description="Why they are away.")  # type: ignore[valid-type]
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="Removes an absence.")
class RemoveAbsenceInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    absence_id: strawberry.ID = strawberry.field(description="The absence to remove.")


@strawberry.input(description="New values for a closure; every value is replaced.")
class UpdateClosureInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    closure_id: strawberry.ID = strawberry.field(description="The closure to change.")
    starts_at: datetime = strawberry.field(description="Start, ISO 8601 with offset.")
    ends_at: datetime = strawberry.field(description="End, ISO 8601 with offset; after the start.")
    reason: str = strawberry.field(description="Why, 1-200 characters.")
    accept_affected_bookings: bool = strawberry.field(default=False, description=ACCEPT_DESCRIPTION)


@strawberry.input(description="Removes a closure.")
class RemoveClosureInput(IdFields):
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    closure_id: strawberry.ID = strawberry.field(description="The closure to remove.")


@strawberry.type(description="The id of what was created or changed.")
class SchedulingSetupPayload:
    id: strawberry.ID = strawberry.field(
        description="The item created, changed, archived, reactivated or removed."
    )
    affected_appointment_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list,
        description=(
            "Live bookings this change left outside bookable time (only when "
            "acceptAffectedBookings was true); rebook or cancel them. Empty otherwise."
        ),
    )

    @classmethod
    def from_saved(cls, saved: Saved) -> SchedulingSetupPayload:
        return cls(
            id=strawberry.ID(str(saved.id)),
            affected_appointment_ids=[
                strawberry.ID(str(a)) for a in saved.affected_appointment_ids
            ],
        )
