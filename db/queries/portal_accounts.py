"""Patient-portal accounts: the memberships that let a user read a patient's record, and the
user rows behind them. Callers pass patients they already resolved through a tenant-scoped read;
the membership role is passed in because roles are a services concept."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Membership


async def own_account(patient_id: UUID, role: str) -> Membership | None:
    """One portal membership of the patient (a guardian needs an account to be granted one)."""
    return await Membership.filter(patient_id=patient_id, role=role).first()


async def memberships(
    patient_id: UUID, role: str, connection: BaseDBAsyncClient
) -> list[Membership]:
    return await Membership.filter(patient_id=patient_id, role=role).using_db(connection)


async def membership(
    user_id: UUID | str, patient_id: UUID, role: str, connection: BaseDBAsyncClient
) -> Membership | None:
    return await Membership.get_or_none(
        user_id=user_id, patient_id=patient_id, role=role, using_db=connection
    )


async def revoke(
    user_ids: list[Any], patient_id: UUID, role: str, connection: BaseDBAsyncClient
) -> int:
    """Ends these users' portal access to the patient; how many memberships went."""
    return await (
        Membership.filter(user_id__in=user_ids, patient_id=patient_id, role=role)
        .using_db(connection)
        .delete()
    )


async def has_memberships(user_id: UUID | str, connection: BaseDBAsyncClient) -> bool:
    return await Membership.filter(user_id=user_id).using_db(connection).exists()


async def move(from_patient: UUID, to_patient: UUID) -> int:
    """Portal accounts of a merged duplicate now read the survivor."""
    return await Membership.filter(patient_id=from_patient).update(patient_id=to_patient)
