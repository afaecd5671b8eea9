"""Rows of any patient-linked table (found in the model registry, see
``services.consent.registry``), by the column or relation path that holds the patient id.
Callers pass a patient they already resolved through a tenant-scoped read or locked."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.models import Model


async def delete(
    model: type[Model], column: str, patient_id: UUID, connection: BaseDBAsyncClient
) -> int:
    return await model.filter(**{column: patient_id}).using_db(connection).delete()


async def blank(
    model: type[Model],
    column: str,
    patient_id: UUID,
    columns: Collection[str],
    connection: BaseDBAsyncClient,
) -> None:
    """Sets ``columns`` to NULL on the patient's rows (free text goes, the rows stay)."""
    await model.filter(**{column: patient_id}).using_db(connection).update(**dict.fromkeys(columns))


async def any_rows(model: type[Model], column: str, patient_id: UUID) -> bool:
    return await model.filter(**{column: patient_id}).exists()
