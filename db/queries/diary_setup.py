"""Tenant-scoped reads and removals of the diary's set-up rows (practitioners, rooms,
appointment types, extra resources, sessions, absences, closures, opening hours) made by the
set-up and booking services. The practice comes first.

``connection``: inside a write's transaction, after its diary lock (``diary_lock``), so an
archive racing a booking is either seen or waits.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import AppointmentType, OpeningHours
from db.models.base import Entity
from db.tenancy import PracticeId


async def still_active(
    model: type[Entity], practice_id: PracticeId, row_id: UUID, connection: BaseDBAsyncClient
) -> bool:
    query = model.filter(id=row_id, practice_id=practice_id, active=True)
    return await query.using_db(connection).exists()


async def active_count(
    model: type[Entity],
    practice_id: PracticeId,
    ids: Collection[UUID],
    connection: BaseDBAsyncClient,
) -> int:
    """How many of ``ids`` are the practice's active rows."""
    query = model.filter(id__in=list(ids), practice_id=practice_id, active=True)
    return await query.using_db(connection).count()


async def active_types(
    practice_id: PracticeId, type_ids: Collection[UUID], connection: BaseDBAsyncClient
) -> list[AppointmentType]:
    query = AppointmentType.filter(id__in=list(type_ids), practice_id=practice_id, active=True)
    return await query.using_db(connection)


async def appointment_type(
    practice_id: PracticeId, type_id: UUID, connection: BaseDBAsyncClient
) -> AppointmentType:
    """The type of an appointment of the practice (it exists: appointments reference it)."""
    query = AppointmentType.filter(id=type_id, practice_id=practice_id)
    return await query.using_db(connection).get()


async def opening_hours_on(practice_id: PracticeId, weekday: int) -> OpeningHours | None:
    return await OpeningHours.get_or_none(practice_id=practice_id, weekday=weekday)


async def remove(practice_id: PracticeId, row: Entity, connection: BaseDBAsyncClient) -> None:
    """Deletes a set-up row of the practice (sessions, absences, closures, opening hours)."""
    await type(row).filter(id=row.id, practice_id=practice_id).using_db(connection).delete()
