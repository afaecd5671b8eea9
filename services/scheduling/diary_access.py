"""Who may act on which practice's diary, and the practice facts every rule needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from db.models import ScheduleSettings
from db.queries import diary_settings
from db.tenancy import OrganizationId, PracticeId
from services import tenant_gate
from services.errors import NotFound, ValidationFailed
from services.policy import Scope
from services.principal import Principal

MAX_WINDOW = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class Diary:
    """A practice the principal may act on, with its zone and rules."""

    practice_id: PracticeId
    organization_id: OrganizationId
    zone: ZoneInfo
    jurisdiction: str
    settings: ScheduleSettings


def staff_practice(
    principal: Principal, practice_id: UUID, scope: Scope, *, patients_too: bool = False
) -> PracticeId:
    """Patients act only where a read is narrowed to their own records (``patients_too``);
    another practice and no access look alike."""
    return tenant_gate.practice_for(principal, practice_id, scope, patients_too=patients_too)


async def diary(
    principal: Principal, practice_id: UUID, scope: Scope, *, patients_too: bool = False
) -> Diary:
    pid = staff_practice(principal, practice_id, scope, patients_too=patients_too)
    practice = await diary_settings.practice(pid)
    if practice is None:
        raise NotFound("Practice")
    settings = await settings_for(pid)
    return Diary(
        practice_id=pid,
        organization_id=tenant_gate.organization_of(practice),
        zone=ZoneInfo(practice.timezone),
        jurisdiction=practice.jurisdiction,
        settings=settings,
    )


async def settings_for(practice_id: PracticeId) -> ScheduleSettings:
    return await diary_settings.settings(practice_id)


def local_instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    """Wall-clock minute of a local day as a UTC instant (minute 1440 is next midnight)."""
    extra, minute = divmod(minute, 1440)
    wall = datetime.combine(day + timedelta(days=extra), time(minute // 60, minute % 60), zone)
    return wall.astimezone(UTC)


def window(start: datetime, end: datetime, *, field: str = "to") -> tuple[datetime, datetime]:
    start, end = aware(start, "from"), aware(end, field)
    if end <= start:
        raise ValidationFailed("The end must be after the start.", field=field)
    if end - start > MAX_WINDOW:
        raise ValidationFailed("At most 31 days at a time.", field=field)
    return start, end


def aware(value: datetime, field: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed("Give the time with its UTC offset.", field=field)
    return value.astimezone(UTC)
