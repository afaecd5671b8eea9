"""Removing occupancy blocks when what held the time lets go of it. The practice comes first.

Blocks are written with their practice (``services.scheduling.occupancy.occupy``); removals
name it too, so an id of another practice's appointment or hold removes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import ScheduleBlock
from db.tenancy import PracticeId


async def free_holds(
    practice_id: PracticeId, hold_ids: Collection[UUID], connection: BaseDBAsyncClient
) -> None:
    query = ScheduleBlock.filter(hold_id__in=list(hold_ids), practice_id=practice_id)
    await query.using_db(connection).delete()


async def free_appointment(
    practice_id: PracticeId, appointment_id: UUID, connection: BaseDBAsyncClient
) -> None:
    query = ScheduleBlock.filter(appointment_id=appointment_id, practice_id=practice_id)
    await query.using_db(connection).delete()
