"""Practice and organisation settings, changed by their admins.

A time-zone change moves no appointment: appointments are instants stored in UTC and stay at
the same instant; what changes is the local wall-clock time the diary shows for them (and
working hours, opening hours and reminder times, which are local, now mean the new zone). The
change answers how many future appointments that concerns, so the admin can check the diary;
the zone name must be one ``zoneinfo`` knows (IANA), so nothing downstream meets an unknown
zone. Jurisdiction is a closed list (it drives retention periods).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from uuid import UUID

from db.models import Organization, Practice
from db.queries import organizations as queries
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.errors import ValidationFailed
from services.policy import Scope
from services.principal import Principal

JURISDICTIONS = ("ENGLAND", "WALES", "SCOTLAND", "NORTHERN_IRELAND")
MAX_NAME = 200
MAX_ADDRESS = 500


@dataclass(frozen=True, slots=True)
class PracticeChanges:
    name: str | None = None
    address: str | None = None
    timezone: str | None = None
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class PracticeUpdated:
    practice: Practice
    timezone_changed: bool
    future_appointments: int


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def valid_timezone(name: str) -> str:
    name = name.strip()
    try:
        if name not in _zones():
            raise zoneinfo.ZoneInfoNotFoundError(name)
        zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            "Unknown time zone: use an IANA name such as Europe/London.", field="timezone"
        ) from None
    return name


def _text(value: str, field: str, limit: int, *, lines: bool = False) -> str:
    value = value.strip()
    allowed = "\n" if lines else ""
    if not value or len(value) > limit:
        raise ValidationFailed(f"'{field}' must be 1-{limit} characters.", field=field)
    if any((ord(c) < 32 and c not in allowed) or ord(c) == 127 for c in value):
        raise ValidationFailed(f"'{field}' contains control characters.", field=field)
    return value


def _checked(changes: PracticeChanges) -> dict[str, str]:
    values: dict[str, str] = {}
    if changes.name is not None:
        values["name"] = _text(changes.name, "name", MAX_NAME)
    if changes.address is not None:
        values["address"] = _text(changes.address, "address", MAX_ADDRESS, lines=True)
    if changes.timezone is not None:
        values["timezone"] = valid_timezone(changes.timezone)
    if changes.jurisdiction is not None:
        if changes.jurisdiction not in JURISDICTIONS:
            raise ValidationFailed(
                f"Jurisdiction must be one of {', '.join(JURISDICTIONS)}.", field="jurisdiction"
            )
        values["jurisdiction"] = changes.jurisdiction
    return values


async def update_practice(
    principal: Principal, *, practice_id: UUID, changes: PracticeChanges
) -> PracticeUpdated:
    pid = tenant_gate.practice_for(principal, practice_id, Scope.PRACTICE_WRITE)
    values = _checked(changes)
    async with unit_of_work() as uow:
        practice = await queries.practice_for_update(pid, uow.connection)
        changed = [k for k, v in values.items() if getattr(practice, k) != v]
        before = practice.timezone
        for key in changed:
            setattr(practice, key, values[key])
        if changed:
            await practice.save(using_db=uow.connection, update_fields=changed)
        details = [*changed]
        if "timezone" in changed:
            details.append(f"timezone={before}->{practice.timezone}")
        uow.audit(
            audit.record_for(
                principal,
                action="PRACTICE_UPDATED",
                practice_id=pid,
                entity_type="Practice",
                entity_id=pid,
                fields=details,
            )
        )
    zone_changed = "timezone" in changed
    upcoming = await queries.future_appointments(pid, datetime.now(UTC)) if zone_changed else 0
    return PracticeUpdated(practice, zone_changed, upcoming)


async def update_organization(
    principal: Principal, *, organization_id: UUID, name: str | None, address: str | None
) -> Organization:
    """Organisation admins only (an organisation-level role holding ``practice:write``)."""
    administered = [
        oid
        for oid, scopes in principal.organization_scopes.items()
        if Scope.PRACTICE_WRITE in scopes
    ]
    oid = tenant_gate.organization_among(administered, organization_id)
    values: dict[str, str] = {}
    if name is not None:
        values["name"] = _text(name, "name", MAX_NAME)
    if address is not None:
        values["address"] = _text(address, "address", MAX_ADDRESS, lines=True)
    async with unit_of_work() as uow:
        organization = await queries.organization_for_update(oid, uow.connection)
        changed = [k for k, v in values.items() if getattr(organization, k) != v]
        for key in changed:
            setattr(organization, key, values[key])
        if changed:
            await organization.save(using_db=uow.connection, update_fields=changed)
        uow.audit(
            audit.record_for(
                principal,
                action="ORGANIZATION_UPDATED",
                organization_id=oid,
                entity_type="Organization",
                entity_id=oid,
                fields=changed,
            )
        )
    return organization


__all__ = [
    "JURISDICTIONS",
    "PracticeChanges",
    "PracticeUpdated",
    "update_organization",
    "update_practice",
    "valid_timezone",
]
