"""Tenant-scoped reads of the diary. The allowed practice comes first.

The board itself (appointments and holds as plain rows) is read in ``db.queries.board``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.queryset import QuerySet

from db.models import (
    Absence,
    Appointment,
    AppointmentType,
    Closure,
    ExtraResource,
    OpeningHours,
    Practitioner,
    Room,
    ScheduleBlock,
    WorkingSession,
)
from db.models.appointments import LONGEST_BLOCK
from db.tenancy import PracticeId


def as_instant(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value
    parsed = datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


async def clashes(
    keys: Collection[str],
    start: datetime,
    end: datetime,
    *,
    ignore_appointment: UUID | None = None,
    ignore_hold: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> list[ScheduleBlock]:
    """Active blocks of the keys overlapping the span (a block began at most LONGEST_BLOCK
    before it: the (key, start) index range is the span, not each key's history)."""
    query = ScheduleBlock.filter(key__in=list(keys), active=True, starts_at__lt=end)
    query = query.filter(starts_at__gt=start - LONGEST_BLOCK, ends_at__gt=start)
    if ignore_appointment is not None:
        query = query.filter(Q(appointment_id__isnull=True) | ~Q(appointment_id=ignore_appointment))
    if ignore_hold is not None:
        query = query.filter(Q(hold_id__isnull=True) | ~Q(hold_id=ignore_hold))
    return await query.using_db(connection)


async def blocks_for(
    keys: Collection[str], start: datetime, end: datetime, now: datetime
) -> list[tuple[str, datetime, datetime]]:
    """Active blocks of the keys overlapping the span; holds count until they expire."""
    rows = (
        await ScheduleBlock.filter(key__in=list(keys), active=True, starts_at__lt=end)
        .filter(starts_at__gt=start - LONGEST_BLOCK, ends_at__gt=start)
        .filter(Q(hold_id__isnull=True) | Q(hold__expires_at__gt=now))
        .values_list("key", "starts_at", "ends_at")
    )
    return [(str(k), as_instant(s), as_instant(e)) for k, s, e in rows]


async def practitioner(allowed: PracticeId, practitioner_id: UUID) -> Practitioner | None:
    return await Practitioner.get_or_none(id=practitioner_id, practice_id=allowed)


async def practitioners(allowed: PracticeId, *, active_only: bool = True) -> list[Practitioner]:
    query = Practitioner.filter(practice_id=allowed)
    return await (query.filter(active=True) if active_only else query)


async def room(allowed: PracticeId, room_id: UUID) -> Room | None:
    return await Room.get_or_none(id=room_id, practice_id=allowed)


async def rooms(allowed: PracticeId) -> list[Room]:
    return await Room.filter(practice_id=allowed)


async def appointment_type(allowed: PracticeId, type_id: UUID) -> AppointmentType | None:
    return await AppointmentType.get_or_none(id=type_id, practice_id=allowed)


async def appointment_types(allowed: PracticeId) -> list[AppointmentType]:
    return await AppointmentType.filter(practice_id=allowed)


async def extra_resources(allowed: PracticeId, ids: Collection[UUID]) -> list[ExtraResource]:
    if not ids:
        return []
    return await ExtraResource.filter(id__in=list(ids), practice_id=allowed, active=True)


async def appointment(allowed: Collection[PracticeId], appointment_id: UUID) -> Appointment | None:
    if not allowed:
        return None
    return await Appointment.get_or_none(id=appointment_id, practice_id__in=list(allowed))


async def patient_history(
    patient_id: UUID,
    allowed: Collection[PracticeId],
    *,
    before: tuple[datetime, UUID] | None,
    limit: int,
) -> list[Appointment]:
    """Newest first, keyset on (starts_at, id) descending."""
    query = Appointment.filter(patient_id=patient_id, practice_id__in=list(allowed))
    if before is not None:
        at, last = before
        query = query.filter(Q(starts_at__lt=at) | Q(starts_at=at, id__lt=last))
    query = query.prefetch_related("practitioner", "room", "appointment_type")
    return await query.order_by("-starts_at", "-id").limit(limit)


# Bookable time. ``connection``: read inside a write's transaction (after its diary lock).


async def sessions(
    practitioner_ids: Sequence[UUID], connection: BaseDBAsyncClient | None = None
) -> list[WorkingSession]:
    query = WorkingSession.filter(practitioner_id__in=list(practitioner_ids))
    return await query.using_db(connection)


async def absences(
    practitioner_ids: Sequence[UUID],
    start: datetime,
    end: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> list[Absence]:
    query = Absence.filter(
        practitioner_id__in=list(practitioner_ids), starts_at__lt=end, ends_at__gt=start
    )
    return await query.using_db(connection)


async def closures(
    practice_id: PracticeId,
    start: datetime,
    end: datetime,
    connection: BaseDBAsyncClient | None = None,
) -> list[Closure]:
    query = Closure.filter(practice_id=practice_id, starts_at__lt=end, ends_at__gt=start)
    return await query.using_db(connection)


async def opening_hours(
    practice_id: PracticeId, connection: BaseDBAsyncClient | None = None
) -> list[OpeningHours]:
    return await OpeningHours.filter(practice_id=practice_id).using_db(connection)


async def patient_practice(allowed: Collection[PracticeId], patient_id: UUID) -> UUID | None:
    from db.models import Patient

    rows = await Patient.filter(id=patient_id, practice_id__in=list(allowed)).values_list(
        "practice_id", flat=True
    )
    return rows[0] if rows else None  # type: ignore[return-value]


LIVE_STATUSES = ("BOOKED", "CONFIRMED", "ARRIVED", "IN_SURGERY")


async def has_live_bookings(
    column: str, value: UUID, now: datetime, connection: BaseDBAsyncClient | None = None
) -> bool:
    """Whether a booking that has not finished (nor been cancelled) has ``column = value``."""
    query = Appointment.filter(**{column: value}, status__in=LIVE_STATUSES, ends_at__gt=now)
    return await query.using_db(connection).exists()


def live_bookings(
    practice_id: UUID,
    now: datetime,
    *,
    practitioner_id: UUID | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> QuerySet[Appointment]:
    """The practice's bookings that have not finished (nor been cancelled), optionally one
    practitioner's, optionally overlapping [starts_at, ends_at)."""
    query = Appointment.filter(practice_id=practice_id, status__in=LIVE_STATUSES, ends_at__gt=now)
    if practitioner_id is not None:
        query = query.filter(practitioner_id=practitioner_id)
    if starts_at is not None and ends_at is not None:
        query = query.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    return query


async def live_starts(practitioner_id: UUID, now: datetime) -> list[datetime]:
    """Starts of the practitioner's bookings that have not finished (nor been cancelled)."""
    rows = await Appointment.filter(
        practitioner_id=practitioner_id, status__in=LIVE_STATUSES, ends_at__gt=now
    ).values_list("starts_at", flat=True)
    return [as_instant(value) for value in rows]
