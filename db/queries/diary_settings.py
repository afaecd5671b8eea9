"""A practice's diary facts: the practice row (zone, jurisdiction) and its scheduling settings,
whose row is also the diary lock on SQLite (``services.scheduling.diary_lock``). The practice
comes first."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F

from db.models import Practice, ScheduleSettings
from db.tenancy import PracticeId


async def practice(
    practice_id: PracticeId, connection: BaseDBAsyncClient | None = None
) -> Practice | None:
    return await Practice.filter(id=practice_id).using_db(connection).first()


async def settings(practice_id: PracticeId) -> ScheduleSettings:
    """The settings row, created with defaults the first time (two writers may race to create
    it: the loser's insert is ignored and both read the one row)."""
    found = await ScheduleSettings.get_or_none(practice_id=practice_id)
    if found is None:
        await ScheduleSettings.bulk_create(
            [ScheduleSettings(practice_id=practice_id)], ignore_conflicts=True
        )
        found = await ScheduleSettings.get(practice_id=practice_id)
    return found


async def bump_version(practice_id: PracticeId, connection: BaseDBAsyncClient) -> None:
    """Writes the settings row: on SQLite this takes the database write lock at once."""
    query = ScheduleSettings.filter(practice_id=practice_id).using_db(connection)
    await query.update(version=F("version") + 1)
