"""Tenant-scoped reads of booked appointments for the diary's write paths (booking, status
changes, the stranded-bookings guard). The practice comes first.

``connection``: read inside a write's transaction (after its diary lock), so what is checked
is what commits.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from db.models import Appointment, AppointmentResource
from db.queries.schedule import LIVE_STATUSES
from db.tenancy import PracticeId


async def in_practice(practice_id: PracticeId, appointment_id: UUID) -> Appointment | None:
    return await Appointment.get_or_none(id=appointment_id, practice_id=practice_id)


async def by_ids(allowed: Collection[PracticeId], ids: Collection[UUID]) -> list[Appointment]:
    """The appointments among ``ids`` that lie in ``allowed`` practices (one statement)."""
    if not allowed or not ids:
        return []
    return await Appointment.filter(id__in=list(ids), practice_id__in=list(allowed))


async def locked(
    practice_id: PracticeId, appointment_id: UUID, connection: BaseDBAsyncClient
) -> Appointment | None:
    """The appointment, row-locked until the transaction on ``connection`` ends (PostgreSQL),
    so two changes to one appointment apply one after the other."""
    query = Appointment.filter(id=appointment_id, practice_id=practice_id)
    return await query.using_db(connection).select_for_update().first()


async def practice_of(allowed: Collection[PracticeId], appointment_id: UUID) -> UUID | None:
    """The practice of the appointment, if it is one of ``allowed``."""
    if not allowed:
        return None
    found = await Appointment.filter(id=appointment_id, practice_id__in=list(allowed)).values_list(
        "practice_id", flat=True
    )
    return UUID(str(found[0])) if found else None


async def resource_ids(practice_id: PracticeId, appointment_id: UUID) -> list[UUID]:
    """The extra resources booked with the appointment."""
    rows = await AppointmentResource.filter(
        appointment_id=appointment_id, appointment__practice_id=practice_id
    ).values_list("resource_id", flat=True)
    return [UUID(str(r)) for r in rows]


def _live(
    practice_id: PracticeId,
    now: datetime,
    practitioner_id: UUID | None,
    starts_at: datetime | None,
    ends_at: datetime | None,
) -> QuerySet[Appointment]:
    query = Appointment.filter(practice_id=practice_id, status__in=LIVE_STATUSES, ends_at__gt=now)
    if practitioner_id is not None:
        query = query.filter(practitioner_id=practitioner_id)
    if starts_at is not None and ends_at is not None:
        query = query.filter(starts_at__lt=ends_at, ends_at__gt=starts_at)
    return query


async def live(
    practice_id: PracticeId,
    now: datetime,
    *,
    practitioner_id: UUID | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> list[Appointment]:
    """The practice's bookings that have not finished (nor been cancelled), optionally one
    practitioner's, optionally overlapping [starts_at, ends_at); by start."""
    query = _live(practice_id, now, practitioner_id, starts_at, ends_at)
    return await query.order_by("starts_at", "id")


async def live_spans(
    practice_id: PracticeId,
    now: datetime,
    *,
    practitioner_id: UUID | None = None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> list[tuple[Any, Any, Any, Any]]:
    """(id, practitioner_id, starts_at, ends_at) of the bookings :func:`live` lists, unordered;
    values as the driver returns them."""
    query = _live(practice_id, now, practitioner_id, starts_at, ends_at).using_db(connection)
    rows = await query.values_list("id", "practitioner_id", "starts_at", "ends_at")
    return [(a, p, s, e) for a, p, s, e in rows]
