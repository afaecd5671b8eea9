"""A practice's NHS England contract years (the practice comes first)."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import NhsContractYear, Practice
from db.tenancy import PracticeId


async def lock_years(
    practice_id: PracticeId, connection: BaseDBAsyncClient
) -> list[NhsContractYear]:
    """The practice's contract years, after locking the practice row (two writers setting
    years of one practice wait for each other, so the overlap check sees every year)."""
    await Practice.select_for_update().using_db(connection).get(id=practice_id)
    return (
        await NhsContractYear.filter(practice_id=practice_id)
        .using_db(connection)
        .order_by("starts_on")
    )
