"""Answering ``GET /calendar/{token}.ics``: the feed's owner, re-checked now, and their events.

The URL is a bearer capability, so every fetch re-derives the owner's access from the
memberships held *now*: a deactivated account, a lost role, a practitioner profile moved away
or a portal account no longer holding the record all answer exactly like a forged or revoked
token (NOT_FOUND). Patient data leaves only through ``services.visibility``, and each fetch that
sends a body is audited with the patients it carried (their access logs show it).

Minimal data: the practitioner's feed shows the patient's initials and the appointment type;
the patient's feed shows the appointment type and practice. Never full names, notes or
clinical details. A patient under an Art. 18 processing restriction appears in practitioner
feeds as "Busy" (the time stays, so the diary is true; nothing identifies them): a third-party
calendar is not the patient's own care. The patient's own feed is still served to them: giving
a person their own data is not processing the restriction stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from db.models import CalendarFeed
from db.models.privacy import RestrictionKind
from db.queries import calendar_feeds as queries
from db.queries import consent as consent_rows
from db.queries import users
from services import audit, tenant_gate, visibility
from services.auth import link_tokens
from services.auth.principal_loader import principal_for_user
from services.calendar import feeds, ics
from services.errors import NotFound
from services.policy import Scope
from services.principal import Principal, RequestMeta

PAST = timedelta(days=31)
FUTURE = timedelta(days=190)
ID_HEX = 32
BUSY = "Busy"


NAME = "AES CRM appointments"


@dataclass(frozen=True, slots=True)
class RenderedFeed:
    """The feed's events and ETag; the body is rendered only when it is sent."""

    events: list[ics.FeedEvent]
    etag: str
    principal: Principal
    feed: CalendarFeed
    patient_ids: frozenset[UUID]

    @property
    def event_count(self) -> int:
        return len(self.events)

    def body(self) -> bytes:
        return ics.render(NAME, self.events)


def _split(token: str) -> tuple[UUID | None, str]:
    head, secret = token[:ID_HEX], token[ID_HEX:]
    try:
        return (UUID(hex=head) if len(head) == ID_HEX else None), secret
    except ValueError:
        return None, secret


async def _feed_for(token: str) -> CalendarFeed:
    """The live feed whose secret this is; every failure is the same NOT_FOUND."""
    feed_id, secret = _split(token)
    feed = await queries.live_feed(feed_id) if feed_id is not None else None
    # The HMAC is computed and compared even without a feed: a miss costs what a hit costs.
    if not link_tokens.matches(secret, feed.secret_hash if feed else None) or feed is None:
        raise NotFound("Calendar")
    return feed


async def _owner(feed: CalendarFeed, meta: RequestMeta) -> Principal:
    user = await users.live(feed.user_id)
    if user is None:
        raise NotFound("Calendar")
    return await principal_for_user(user, mfa_passed=True, claims={}, meta=meta)


def _initials(first: str | None, last: str | None) -> str:
    letters = [part.strip()[:1].upper() for part in (first, last) if part and part.strip()]
    return ".".join(letters) + "." if letters else "?"


async def _rows(principal: Principal, feed: CalendarFeed) -> list[dict[str, Any]]:
    allowed = principal.practices_with(Scope.SCHEDULE_READ)
    try:
        practice = tenant_gate.practice_among(allowed, feed.practice_id)
    except NotFound:
        raise NotFound("Calendar") from None
    now = datetime.now(UTC)
    start, end = now - PAST, now + FUTURE
    if feed.kind == feeds.PRACTITIONER and feed.practitioner_id is not None:
        mine = await queries.practitioner_in(practice, feed.practitioner_id)
        if mine is None or principal.is_patient or str(mine.user_id) != str(principal.user_id):
            raise NotFound("Calendar")
        return await queries.practitioner_appointments(practice, mine.id, start, end)
    if feed.kind == feeds.PATIENT and feed.patient_id is not None:
        if not principal.is_patient or feed.patient_id not in principal.patient_ids:
            raise NotFound("Calendar")
        return await queries.patient_appointments(practice, feed.patient_id, start, end)
    raise NotFound("Calendar")


def _event(row: dict[str, Any], summary: str) -> ics.FeedEvent:
    return ics.FeedEvent(
        appointment_id=str(row["id"]),
        summary=summary,
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        changed_at=row["updated_at"] or row["created_at"],
        version=int(row["version"]),
        cancelled=row["status"] == "CANCELLED",
    )


async def render(token: str, meta: RequestMeta) -> RenderedFeed:
    feed = await _feed_for(token)
    principal = await _owner(feed, meta)
    rows = await _rows(principal, feed)
    practice_id = UUID(str(feed.practice_id))
    shown = await visibility.visible(
        principal, {UUID(str(r["patient_id"])): practice_id for r in rows}
    )
    rows = [r for r in rows if UUID(str(r["patient_id"])) in shown]
    restricted = await consent_rows.active_restrictions(shown)
    events: list[ics.FeedEvent] = []
    identified: set[UUID] = set()
    for row in rows:
        patient = UUID(str(row["patient_id"]))
        kind_name = str(row["appointment_type__name"])
        if feed.kind == feeds.PATIENT:
            summary = f"{kind_name} at {row['practice__name']}"
        elif RestrictionKind.RESTRICTION.value in restricted.get(patient, set()):
            events.append(_event(row, BUSY))
            continue
        else:
            initials = _initials(row["patient__first_name"], row["patient__last_name"])
            summary = f"{initials} {kind_name}"
        identified.add(patient)
        events.append(_event(row, summary))
    etag = ics.fingerprint(NAME, events)
    return RenderedFeed(events, etag, principal, feed, frozenset(identified))


async def record(rendered: RenderedFeed) -> None:
    """The audit row of a fetch that sent the body (a 304 sends nothing and is not one)."""
    await audit.write(
        [
            audit.record_for(
                rendered.principal,
                action="READ calendar_feed",
                practice_id=UUID(str(rendered.feed.practice_id)),
                entity_type="CalendarFeed",
                entity_id=rendered.feed.id,
                fields=[rendered.feed.kind, f"events={rendered.event_count}"],
                patient_ids=sorted(rendered.patient_ids, key=str),
            )
        ]
    )


__all__ = ["RenderedFeed", "record", "render"]
