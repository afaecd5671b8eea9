"""Calendar feeds and the appointments a feed shows.

A feed row is found by its id alone (the URL carries it next to the secret): the secret proves
the caller, and the feed's practice is the tenant every appointment read is scoped to.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import Appointment, CalendarFeed, Practitioner
from db.tenancy import PracticeId

FEED_COLUMNS = (
    "id",
    "starts_at",
    "ends_at",
    "status",
    "version",
    "updated_at",
    "created_at",
    "patient_id",
    "patient__first_name",
    "patient__last_name",
    "appointment_type__name",
    "practice__name",
)


async def live_feed(feed_id: UUID) -> CalendarFeed | None:
    """The feed unless revoked (a revoked feed answers like one that never existed)."""
    return await CalendarFeed.get_or_none(id=feed_id, revoked_at__isnull=True)


async def feeds_of_user(user_id: UUID) -> list[CalendarFeed]:
    return list(await CalendarFeed.filter(user_id=user_id).order_by("-created_at", "id"))


async def feed_of_user(
    user_id: UUID, feed_id: UUID, connection: BaseDBAsyncClient
) -> CalendarFeed | None:
    return await CalendarFeed.filter(id=feed_id, user_id=user_id).using_db(connection).first()


async def practitioner_in(practice_id: PracticeId, practitioner_id: UUID) -> Practitioner | None:
    return await Practitioner.get_or_none(id=practitioner_id, practice_id=practice_id)


async def practitioner_among(
    practice_ids: Collection[PracticeId], practitioner_id: UUID
) -> Practitioner | None:
    """The practitioner profile if it belongs to one of the caller's practices."""
    return await Practitioner.get_or_none(id=practitioner_id, practice_id__in=list(practice_ids))


async def practitioner_appointments(
    practice_id: PracticeId, practitioner_id: UUID, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    return list(
        await Appointment.filter(
            practice_id=practice_id,
            practitioner_id=practitioner_id,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .order_by("starts_at", "id")
        .values(*FEED_COLUMNS)
    )


async def patient_appointments(
    practice_id: PracticeId, patient_id: UUID, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    return list(
        await Appointment.filter(
            practice_id=practice_id,
            patient_id=patient_id,
            starts_at__lt=end,
            ends_at__gt=start,
        )
        .order_by("starts_at", "id")
        .values(*FEED_COLUMNS)
    )
