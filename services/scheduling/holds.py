"""Slot holds: a few minutes' reservation while a receptionist or an online booking flow
completes. A hold blocks the practitioner and the room like an appointment; it ends by being
used for a booking, released, or expiring (``slot.released`` with reason EXPIRED).

Expired holds stop blocking at once (slot search and the board ignore them, and every write
releases them first); ``aescrm expire-holds`` announces expiries that nothing else touched.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4

from tortoise.exceptions import IntegrityError

from db.audit_chain import AuditRecord
from db.models import SlotHold
from db.queries import diary_settings, owned
from db.queries import holds as hold_queries
from db.queries import occupancy as occupancy_queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal
from services.scheduling import booking_rules, diary_lock, occupancy, rules
from services.scheduling.diary_access import diary as open_diary


async def hold(
    principal: Principal,
    *,
    practice_id: UUID,
    practitioner_id: UUID,
    appointment_type_id: UUID,
    starts_at: datetime,
    room_id: UUID | None = None,
    minutes: int | None = None,
) -> SlotHold:
    diary = await open_diary(principal, practice_id, Scope.SCHEDULE_WRITE)
    now = rules.utcnow()
    parts = await rules.resolve(
        diary,
        practitioner_id=practitioner_id,
        room_id=room_id,
        type_id=appointment_type_id,
        starts_at=starts_at,
        ends_at=None,
        resource_ids=[],
        now=now,
    )
    await booking_rules.enforce(  # no patient yet: their rules run when the hold is used
        principal,
        diary,
        parts.type,
        practitioner_id=parts.practitioner.id,
        starts_at=parts.starts_at,
    )
    length = max(1, min(minutes or diary.settings.hold_minutes, 30))
    row = SlotHold(
        id=uuid4(),
        practice_id=diary.practice_id,
        practitioner_id=parts.practitioner.id,
        room_id=parts.room.id,
        starts_at=parts.starts_at,
        ends_at=parts.ends_at,
        expires_at=now + timedelta(minutes=length),
        held_by_id=principal.user_id,
        client_id=principal.client_id,
    )
    claim = occupancy.Claim.of(
        start=parts.starts_at,
        end=parts.ends_at,
        practitioner_id=parts.practitioner.id,
        room_id=parts.room.id,
        buffer_minutes=parts.type.buffer_after_minutes,
    )
    try:
        async with unit_of_work() as uow:
            await diary_lock.for_booking(uow.connection, diary.practice_id)
            await rules.recheck(diary, parts, uow.connection)
            await occupancy.release_expired(uow, diary.organization_id, diary.practice_id, now)
            await occupancy.check(uow, claim)
            await row.save(using_db=uow.connection)
            await occupancy.occupy(uow, diary.practice_id, claim, hold_id=row.id)
            uow.emit(
                occupancy.hold_event(diary.organization_id, row, "slot.held", "HELD", by=principal)
            )
            uow.audit(_audit(principal, row, "HOLD_SLOT"))
    except IntegrityError as error:
        raise occupancy.from_integrity(error) or error from None
    return row


async def release(principal: Principal, *, hold_id: UUID) -> SlotHold:
    allowed = principal.practices_with(Scope.SCHEDULE_WRITE)
    found = None
    if not principal.is_patient:
        found = await owned.row(SlotHold, allowed, hold_id)
    if found is None or found.status != "ACTIVE":
        raise NotFound("Hold")
    diary = await open_diary(principal, found.practice_id, Scope.SCHEDULE_WRITE)  # type: ignore[arg-type]
    async with unit_of_work() as uow:
        await diary_lock.for_booking(uow.connection, diary.practice_id)
        changed = await hold_queries.release(diary.practice_id, found.id, uow.connection)
        if not changed:
            raise NotFound("Hold")
        await occupancy_queries.free_holds(diary.practice_id, [found.id], uow.connection)
        found.status = "RELEASED"
        uow.emit(
            occupancy.hold_event(
                diary.organization_id, found, "slot.released", "RELEASED", by=principal
            )
        )
        uow.audit(_audit(principal, found, "RELEASE_SLOT"))
    return found


async def expire_all(now: datetime | None = None) -> int:
    """Releases every expired hold of every practice, one unit of work per practice."""
    moment = now or rules.utcnow()
    released = 0
    for holding in await hold_queries.practices_with_expired(moment):
        practice_id = tenant_gate.practice_of(holding)
        practice = await diary_settings.practice(practice_id)
        if practice is None:
            continue  # deleted meanwhile: its holds went with it
        organization = tenant_gate.organization_of(practice)
        async with unit_of_work() as uow:
            await diary_lock.for_booking(uow.connection, practice_id)
            released += await occupancy.release_expired(uow, organization, practice_id, moment)
    return released


def _audit(principal: Principal, row: SlotHold, action: str) -> AuditRecord:
    return audit.record_for(
        principal,
        action=action,
        practice_id=row.practice_id,  # type: ignore[arg-type]
        entity_type="SlotHold",
        entity_id=row.id,
    )
