"""A staff member's clinical profile in a practice: role, colour and default room.

Deactivating one is refused while their live future bookings exist; reactivating needs them to
still be a member of the practice's staff. Every change is audited and announced to boards.
"""

from __future__ import annotations

from uuid import UUID

from db.models import Practitioner, Room
from db.queries import practitioners as practitioner_queries
from db.tenancy import PracticeId
from services.errors import Conflict, NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal
from services.scheduling import setup
from services.scheduling.diary_access import staff_practice
from services.scheduling.resources import (
    CLINICAL_ROLES,
    archive,
    clean_colour,
    reactivate,
    row_in,
)
from services.scheduling.setup import Saved


def _role(value: str) -> str:
    if value not in CLINICAL_ROLES:
        named = ", ".join(sorted(CLINICAL_ROLES))
        raise ValidationFailed(f"Role is one of {named}.", field="role")
    return str(value)


async def _room(pid: PracticeId, room_id: UUID | None) -> UUID | None:
    if room_id is not None:
        await row_in(Room, pid, room_id, "Room")
    return room_id


async def create_practitioner(
    principal: Principal,
    *,
    practice_id: UUID,
    user_id: UUID,
    role: str,
    colour: str | None,
    default_room_id: UUID | None,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    _role(role)
    member = await practitioner_queries.staff_member(pid, user_id)
    if member is None:
        raise NotFound("Staff member")
    row = Practitioner(
        practice_id=pid,
        user_id=user_id,
        display_name=member.user.full_name,
        role=role,
        colour=clean_colour(colour) or "#1976d2",
        default_room_id=await _room(pid, default_room_id),
    )
    try:
        return await setup.save(principal, pid, row, "CREATE_PRACTITIONER")
    except Conflict:
        raise Conflict(
            "This staff member is already a practitioner here.", field="userId"
        ) from None


async def update_practitioner(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    role: str,
    colour: str | None,
    default_room_id: UUID | None,
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    values = {
        "role": _role(role),
        "colour": clean_colour(colour) or found.colour,
        "default_room_id": await _room(pid, default_room_id),
    }
    return await setup.save(principal, pid, found, "UPDATE_PRACTITIONER", values=values)


async def deactivate_practitioner(
    principal: Principal, *, practice_id: UUID, practitioner_id: UUID
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    return await archive(
        principal, pid, found, "DEACTIVATE_PRACTITIONER", "practitioner_id", "practitioner"
    )


async def reactivate_practitioner(
    principal: Principal, *, practice_id: UUID, practitioner_id: UUID
) -> Saved:
    pid = staff_practice(principal, practice_id, Scope.PRACTICE_WRITE)
    found = await row_in(Practitioner, pid, practitioner_id, "Practitioner")
    user_id: UUID = found.user_id  # type: ignore[assignment]
    if not found.active and not await practitioner_queries.is_staff(pid, user_id):
        raise Conflict("They are no longer on this practice's staff.", field="practitionerId")
    return await reactivate(principal, pid, found, "REACTIVATE_PRACTITIONER")
