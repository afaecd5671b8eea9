"""Creating, listing and revoking calendar feeds.

Who may have which feed:

- **Practitioner feed**: only the practitioner themself (their own profile, in a practice where
  they hold ``schedule:read``). A colleague's diary is not exported to a personal calendar:
  the fewer copies of the diary outside the system, the better.
- **Patient feed**: a portal account, for a record it holds (its own, or a child's through
  guardian access); staff and partner apps cannot create one.

The URL is shown once, at creation; the database keeps only a keyed hash of its secret
(``services.auth.link_tokens``). Revoking a feed makes its URL answer 404 at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from db.models import CalendarFeed
from db.queries import calendar_feeds as queries
from db.queries import patients as patient_rows
from db.uow import unit_of_work
from services import audit, tenant_gate
from services.auth import link_tokens
from services.errors import NotFound, PolicyDenied, ValidationFailed
from services.policy import Scope
from services.principal import Principal

PRACTITIONER = "PRACTITIONER"
PATIENT = "PATIENT"


@dataclass(frozen=True, slots=True)
class CreatedFeed:
    feed: CalendarFeed
    token: str  # "<feed id hex><secret>": the URL path segment, shown once


def token_of(feed_id: UUID, secret: str) -> str:
    return f"{feed_id.hex}{secret}"


def _owner(principal: Principal) -> UUID:
    if principal.user_id is None or principal.client_id is not None:
        raise PolicyDenied("Calendar feeds belong to a person's account, not to an app.")
    return principal.user_id


async def _practitioner_target(principal: Principal, practitioner_id: UUID) -> UUID:
    """The practice of the caller's own practitioner profile (anything else: NOT_FOUND)."""
    practices = principal.practices_with(Scope.SCHEDULE_READ)
    found = await queries.practitioner_among(practices, practitioner_id)
    if found is None or principal.is_patient or str(found.user_id) != str(principal.user_id):
        raise NotFound("Practitioner")
    return tenant_gate.practice_of(found)


async def _patient_target(principal: Principal, patient_id: UUID) -> UUID:
    if not principal.is_patient or patient_id not in principal.patient_ids:
        raise NotFound("Patient")
    rows = await patient_rows.practices_of(principal.practice_ids, [patient_id])
    if not rows:
        raise NotFound("Patient")
    return UUID(str(rows[0][1]))


async def create(
    principal: Principal, *, practitioner_id: UUID | None, patient_id: UUID | None
) -> CreatedFeed:
    owner = _owner(principal)
    if (practitioner_id is None) == (patient_id is None):
        raise ValidationFailed("Name either a practitioner or a patient.", field="input")
    if practitioner_id is not None:
        practice_id, kind = await _practitioner_target(principal, practitioner_id), PRACTITIONER
    else:
        assert patient_id is not None
        practice_id, kind = await _patient_target(principal, patient_id), PATIENT
    secret, stored = link_tokens.mint()
    async with unit_of_work() as uow:
        feed = await CalendarFeed.create(
            user_id=owner,
            practice_id=practice_id,
            kind=kind,
            practitioner_id=practitioner_id,
            patient_id=patient_id,
            secret_hash=stored,
            using_db=uow.connection,
        )
        uow.audit(
            audit.record_for(
                principal,
                action="CALENDAR_FEED_CREATED",
                practice_id=practice_id,
                entity_type="CalendarFeed",
                entity_id=feed.id,
                patient_id=patient_id,
                fields=[kind],
            )
        )
    return CreatedFeed(feed, token_of(feed.id, secret))


async def list_own(principal: Principal) -> list[CalendarFeed]:
    return await queries.feeds_of_user(_owner(principal))


async def revoke(principal: Principal, *, feed_id: UUID) -> CalendarFeed:
    owner = _owner(principal)
    async with unit_of_work() as uow:
        feed = await queries.feed_of_user(owner, feed_id, uow.connection)
        if feed is None:
            raise NotFound("Calendar feed")
        if feed.revoked_at is None:
            feed.revoked_at = datetime.now(UTC)
            await feed.save(using_db=uow.connection, update_fields=["revoked_at"])
        uow.audit(
            audit.record_for(
                principal,
                action="CALENDAR_FEED_REVOKED",
                practice_id=UUID(str(feed.practice_id)),
                entity_type="CalendarFeed",
                entity_id=feed.id,
                fields=[feed.kind],
            )
        )
    return feed


__all__ = ["PATIENT", "PRACTITIONER", "CreatedFeed", "create", "list_own", "revoke", "token_of"]
