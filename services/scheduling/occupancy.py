"""Occupancy blocks and the conflict rule shared by booking, rescheduling and holds.

Writers take the practice's diary lock first (``diary_lock``): on SQLite that serialises
them; on PostgreSQL bookings run in parallel and the ``schedule_block_no_overlap`` exclusion
constraint refuses the loser of a race; its error names the key that clashed.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.exceptions import IntegrityError

from db.models import ScheduleBlock, SlotHold
from db.outbox import PendingEvent
from db.queries import holds as hold_queries
from db.queries import occupancy as occupancy_queries
from db.queries import schedule as queries
from db.tenancy import PracticeId
from db.uow import UnitOfWork
from realtime.envelopes import SCHEDULE
from services import actors
from services.errors import Conflict
from services.principal import Principal

LABELS = {
    "practitioner": ("the practitioner", "practitionerId"),
    "room": ("the room", "roomId"),
    "patient": ("the patient", "patientId"),
    "resource": ("an extra resource", "resourceIds"),
}
ORDER = tuple(LABELS)
_KEY_IN_DETAIL = re.compile(r"=\((practitioner|room|patient|resource):")


@dataclass(frozen=True, slots=True)
class Claim:
    """What one appointment or hold occupies: keys and the span each key is blocked."""

    spans: dict[str, tuple[datetime, datetime]]

    @classmethod
    def of(
        cls,
        *,
        start: datetime,
        end: datetime,
        practitioner_id: UUID,
        room_id: UUID,
        patient_id: UUID | None = None,
        resource_ids: Iterable[UUID] = (),
        buffer_minutes: int = 0,
    ) -> Claim:
        buffered = end + timedelta(minutes=buffer_minutes)
        spans = {f"practitioner:{practitioner_id}": (start, buffered)}
        spans[f"room:{room_id}"] = (start, buffered)
        if patient_id is not None:
            spans[f"patient:{patient_id}"] = (start, end)
        for resource_id in resource_ids:
            spans[f"resource:{resource_id}"] = (start, buffered)
        return cls(spans)

    @property
    def start(self) -> datetime:
        return min(s for s, _ in self.spans.values())

    @property
    def end(self) -> datetime:
        return max(e for _, e in self.spans.values())


def clash_error(kinds: Collection[str]) -> Conflict:
    ordered = [k for k in ORDER if k in kinds]
    names = ", ".join(LABELS[k][0] for k in ordered)
    return Conflict(f"That time clashes for {names}.", field=LABELS[ordered[0]][1])


def from_integrity(error: IntegrityError) -> Conflict | None:
    """A lost race on PostgreSQL's exclusion constraint, named by the key in its detail."""
    cause = error.__cause__ or (error.args[0] if error.args else None)
    text = f"{getattr(cause, 'detail', '') or ''} {cause}"
    if "schedule_block_no_overlap" not in text and "conflicting key" not in text:
        return None
    found = _KEY_IN_DETAIL.search(text)
    return clash_error([found.group(1)] if found else ["practitioner"])


async def release_expired(
    uow: UnitOfWork, organization_id: UUID, practice_id: PracticeId, now: datetime
) -> int:
    """Expired holds stop blocking: their blocks go, with a ``slot.released`` event each."""
    expired = await hold_queries.expired_locked(practice_id, now, uow.connection)
    if not expired:
        return 0
    ids = [h.id for h in expired]
    await occupancy_queries.free_holds(practice_id, ids, uow.connection)
    await hold_queries.expire(practice_id, ids, uow.connection)
    for hold in expired:
        uow.emit(hold_event(organization_id, hold, "slot.released", "EXPIRED", by=None))
    return len(expired)


def hold_event(
    organization_id: UUID, hold: SlotHold, kind: str, reason: str, *, by: Principal | None
) -> PendingEvent:
    """``by`` is None when the hold expired (the system released it)."""
    return PendingEvent(
        organization_id=organization_id,
        practice_id=hold.practice_id,  # type: ignore[arg-type]
        topic=SCHEDULE,
        type=kind,
        entity_id=hold.id,
        payload={
            "starts_at": hold.starts_at.isoformat(),
            "ends_at": hold.ends_at.isoformat(),
            "practitioner_id": str(hold.practitioner_id),
            "room_id": str(hold.room_id),
            "reason": reason,
            actors.KEY: actors.of(by),
        },
    )


async def check(
    uow: UnitOfWork,
    claim: Claim,
    *,
    ignore_appointment: UUID | None = None,
    ignore_hold: UUID | None = None,
) -> None:
    found = await queries.clashes(
        claim.spans,
        claim.start,
        claim.end,
        ignore_appointment=ignore_appointment,
        ignore_hold=ignore_hold,
        connection=uow.connection,
    )
    kinds = {
        block.key.split(":", 1)[0]
        for block in found
        if block.starts_at < claim.spans[block.key][1] and block.ends_at > claim.spans[block.key][0]
    }
    if kinds:
        raise clash_error(kinds)


async def occupy(
    uow: UnitOfWork,
    practice_id: UUID,
    claim: Claim,
    *,
    appointment_id: UUID | None = None,
    hold_id: UUID | None = None,
) -> None:
    rows = [
        ScheduleBlock(
            practice_id=practice_id,
            key=key,
            starts_at=start,
            ends_at=end,
            appointment_id=appointment_id,
            hold_id=hold_id,
        )
        for key, (start, end) in claim.spans.items()
    ]
    await ScheduleBlock.bulk_create(rows, using_db=uow.connection)


async def vacate(uow: UnitOfWork, practice_id: PracticeId, *, appointment_id: UUID) -> None:
    await occupancy_queries.free_appointment(practice_id, appointment_id, uow.connection)
