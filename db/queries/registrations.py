"""Tenant-scoped reads of practitioners' professional registrations. The practice comes first."""

from __future__ import annotations

from collections.abc import Collection
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Practitioner, ProfessionalRegistration
from db.tenancy import PracticeId


async def registration(
    practice_id: PracticeId,
    registration_id: UUID,
    connection: BaseDBAsyncClient | None = None,
) -> ProfessionalRegistration | None:
    query = ProfessionalRegistration.filter(id=registration_id, practice_id=practice_id)
    return await query.using_db(connection).first()


async def of_practitioners(
    allowed: Collection[PracticeId], practitioner_ids: Collection[UUID]
) -> list[ProfessionalRegistration]:
    """Every registration (revoked ones too) of these practitioners, by body."""
    if not allowed or not practitioner_ids:
        return []
    return await ProfessionalRegistration.filter(
        practice_id__in=list(allowed), practitioner_id__in=list(practitioner_ids)
    ).order_by("practitioner_id", "body")


async def for_body(
    practice_id: PracticeId, practitioner_id: UUID, body: str
) -> ProfessionalRegistration | None:
    """The practitioner's registration with ``body`` (at most one, revoked or not)."""
    query = ProfessionalRegistration.filter(
        practice_id=practice_id, practitioner_id=practitioner_id, body=body
    )
    return await query.first()


async def practitioner_for_user(practice_id: PracticeId, user_id: UUID) -> Practitioner | None:
    """The practice's practitioner profile of a staff member, if any."""
    return await Practitioner.filter(practice_id=practice_id, user_id=user_id).first()
