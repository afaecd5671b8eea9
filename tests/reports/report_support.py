"""A small hand-made diary for report tests: two practices of one organisation (London), a third
practice of another organisation, and helpers to lay appointments at local wall-clock times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from db.models import Appointment, Organization
from tests import factories
from tests.scheduling_fixtures import Diary, diary

LONDON = ZoneInfo("Europe/London")


def local(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=LONDON)


async def appointment(
    where: Diary, at: datetime, status: str = "BOOKED", minutes: int = 30, **values: Any
) -> Appointment:
    return await Appointment.create(
        practice_id=where.practice.id,
        patient_id=values.pop("patient_id", where.patient.id),
        practitioner_id=values.pop("practitioner_id", where.dentist.id),
        room_id=values.pop("room_id", where.room.id),
        appointment_type_id=values.pop("appointment_type_id", where.exam.id),
        starts_at=at.astimezone(UTC),
        ends_at=(at + timedelta(minutes=minutes)).astimezone(UTC),
        status=status,
        **values,
    )


@dataclass
class Group:
    """Practices ``a`` and ``b`` in one organisation, ``other`` in another."""

    organization: Organization
    a: Diary
    b: Diary
    other: Diary


async def group() -> Group:
    a = await diary()
    b = await diary()
    b.practice.organization_id = a.practice.organization_id
    await b.practice.save()
    other = await diary()
    org = await Organization.get(id=a.practice.organization_id)
    return Group(org, a, b, other)


async def token_for(role: Any, where: Diary | None = None, org: Organization | None = None) -> str:
    user = await factories.user(role, None if where is None else where.practice, org=org)
    return factories.access_token(user)
