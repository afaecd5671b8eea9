"""Creating, listing and revoking one's calendar feeds (``schedule:read``)."""

from __future__ import annotations

import strawberry

from graph.context import Info
from graph.permissions.fields import requires
from graph.schema.calendar_feeds import (
    CalendarFeed,
    CreateCalendarFeedInput,
    CreateCalendarFeedPayload,
    RevokeCalendarFeedInput,
    RevokeCalendarFeedPayload,
)
from services.calendar import feeds
from services.policy import Scope


@strawberry.type
class CalendarFeedQueries:
    @strawberry.field(
        description="Your calendar feeds, newest first (URLs are shown only at creation).",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def calendar_feeds(self, info: Info) -> list[CalendarFeed] | None:
        rows = await feeds.list_own(info.context.principal)
        return [CalendarFeed.from_model(row) for row in rows]


@strawberry.type
class CalendarFeedMutations:
    @strawberry.mutation(
        description="Create a secret iCalendar URL of your diary or your bookings.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def create_calendar_feed(
        self, info: Info, input: CreateCalendarFeedInput
    ) -> CreateCalendarFeedPayload | None:
        created = await feeds.create(
            info.context.principal,
            practitioner_id=input.optional_ids.practitioner_id,
            patient_id=input.optional_ids.patient_id,
        )
        base = info.context.settings.public_url or str(info.context.request.base_url)
        url = f"{base.rstrip('/')}/calendar/{created.token}.ics"
        return CreateCalendarFeedPayload(feed=CalendarFeed.from_model(created.feed), url=url)

    @strawberry.mutation(
        description="Revoke one of your calendar feeds: its URL stops working at once.",
        extensions=requires(Scope.SCHEDULE_READ),
    )
    async def revoke_calendar_feed(
        self, info: Info, input: RevokeCalendarFeedInput
    ) -> RevokeCalendarFeedPayload | None:
        feed = await feeds.revoke(info.context.principal, feed_id=input.ids.feed_id)
        return RevokeCalendarFeedPayload(feed=CalendarFeed.from_model(feed))
