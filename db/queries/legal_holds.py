"""Tenant-scoped reads of legal holds. The practice(s) come first.

A hold is in force on a day when it is not released and not past its last day; a hold without
a patient covers every record of its practice.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from db.models import LegalHold
from db.tenancy import PracticeId


def in_force(today: date) -> Q:
    """Filter for holds in force on ``today``: not released, and not past their end date."""
    return Q(released_at__isnull=True) & (Q(held_until__isnull=True) | Q(held_until__gte=today))


async def holds_patient(practice_id: PracticeId, patient_id: UUID, today: date) -> bool:
    """Whether a hold on the patient, or on their whole practice, is in force."""
    return await LegalHold.filter(
        Q(patient_id=patient_id) | Q(patient_id__isnull=True),
        in_force(today),
        practice_id=practice_id,
    ).exists()


async def in_force_everywhere(today: date) -> list[LegalHold]:
    """Every practice's holds in force (the retention run is an operator's job over all)."""
    return await LegalHold.filter(in_force(today))


async def listed(practice_id: PracticeId, *, in_force_on: date | None) -> list[LegalHold]:
    """The practice's holds in placing order; only those in force that day when given."""
    query = LegalHold.filter(practice_id=practice_id)
    if in_force_on is not None:
        query = query.filter(in_force(in_force_on))
    return list(await query.order_by("created_at", "id"))


async def locked(
    practice_id: PracticeId, hold_id: UUID, connection: BaseDBAsyncClient
) -> LegalHold:
    return await (
        LegalHold.select_for_update().using_db(connection).get(id=hold_id, practice_id=practice_id)
    )
