"""A patient's communication preferences (at most one row per patient). Callers pass patients
they already resolved through a tenant-scoped read."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import ContactPreference


async def preference(patient_id: UUID) -> ContactPreference | None:
    return await ContactPreference.get_or_none(patient_id=patient_id)


async def drop(patient_id: UUID, connection: BaseDBAsyncClient) -> int:
    return await ContactPreference.filter(patient_id=patient_id).using_db(connection).delete()
