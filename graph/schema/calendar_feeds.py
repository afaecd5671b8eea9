"""Calendar feeds as the graph shows them (the URL's secret only once, at creation)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

import strawberry

from db.models import CalendarFeed as FeedModel
from graph.ids import IdFields


class FeedKind(StrEnum):
    PRACTITIONER = "PRACTITIONER"
    PATIENT = "PATIENT"


CalendarFeedKind = strawberry.enum(
    FeedKind, name="CalendarFeedKind", description="Whose appointments a calendar feed carries."
)


@strawberry.type(description="A subscribed calendar URL (iCalendar) of the signed-in account.")
class CalendarFeed:
    id: strawberry.ID
    kind: CalendarFeedKind = strawberry.field(  # type: ignore[valid-type]
        description="A practitioner's diary or a patient's bookings."
    )
    practitioner_id: strawberry.ID | None = strawberry.field(
        description="The practitioner profile, for a PRACTITIONER feed."
    )
    created_at: datetime = strawberry.field(description="When the feed was created.")
    revoked_at: datetime | None = strawberry.field(
        description="When it was revoked (its URL answers 404 since); null while live."
    )

    @classmethod
    def from_model(cls, row: FeedModel) -> CalendarFeed:
        return cls(
            id=strawberry.ID(str(row.id)),
            kind=FeedKind(row.kind),
            practitioner_id=None
            if row.practitioner_id is None
            else strawberry.ID(str(row.practitioner_id)),
            created_at=row.created_at,
            revoked_at=row.revoked_at,
        )


@strawberry.input(
    description="Whose calendar: your own practitioner profile, or (portal) a record you hold."
)
class CreateCalendarFeedInput(IdFields):
    practitioner_id: strawberry.ID | None = strawberry.field(
        default=None, description="Your practitioner profile (staff)."
    )
    patient_id: strawberry.ID | None = strawberry.field(
        default=None, description="Your patient record, or your child's (portal accounts)."
    )


@strawberry.type(description="The new feed. Keep the URL secret: it is shown only this once.")
class CreateCalendarFeedPayload:
    feed: CalendarFeed = strawberry.field(description="The feed.")
    url: str = strawberry.field(
        description="The https URL to subscribe to in Google, Outlook or Apple Calendar."
    )


@strawberry.input(description="The feed to revoke.")
class RevokeCalendarFeedInput(IdFields):
    feed_id: strawberry.ID = strawberry.field(description="A feed of your own.")


@strawberry.type(description="The revoked feed: its URL answers 404 from now on.")
class RevokeCalendarFeedPayload:
    feed: CalendarFeed = strawberry.field(description="The feed, now revoked.")
