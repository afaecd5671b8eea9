"""``dashboardChanged``: a thin "refetch these figures" signal for a practice's dashboards.

Rendered once per permission group from each stored event of the dashboard's topics
(``services.reports.live``: which areas an event may move), then coalesced per subscriber
(``realtime.coalesce``): at most one per ``AESCRM_DASHBOARD_COALESCE_SECONDS``, the last change
of a burst always announced. It carries no patient, appointment or amount: only which areas
moved and when, so a dashboard refetches its report queries.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum

import strawberry

from realtime.envelopes import StoredEvent
from services.reports import live


@strawberry.enum(description="A group of dashboard figures that may have moved.")
class DashboardArea(Enum):
    DIARY = strawberry.enum_value(
        live.Area.DIARY.value,
        description="Appointments booked, moved, cancelled or changing status, and the diary's "
        "set-up (utilisation, attendance, waits, patient mix).",
    )
    MONEY = strawberry.enum_value(
        live.Area.MONEY.value,
        description="Payments, refunds, deposits, invoices, cash counts and memberships.",
    )
    RECALLS = strawberry.enum_value(
        live.Area.RECALLS.value,
        description="Recalls set, moved on or removed, and bookings that may convert one.",
    )
    PLANS = strawberry.enum_value(
        live.Area.PLANS.value, description="Treatment plans proposed, accepted or completed."
    )
    NHS = strawberry.enum_value(live.Area.NHS.value, description="NHS courses and their bands.")


_ORDER = {area: n for n, area in enumerate(DashboardArea)}


@strawberry.type(
    description="Figures of a practice's dashboard may have moved: refetch the reports of "
    "these areas. Coalesced: at most one per few seconds per subscription, and the last "
    "change of a burst is always announced."
)
class DashboardEvent:
    practice_id: strawberry.ID = strawberry.field(description="The practice.")
    areas: list[DashboardArea] = strawberry.field(
        description="What moved since the previous event (at least one)."
    )
    changed_at: datetime = strawberry.field(
        description="When the latest change it announces was committed."
    )
    sequence: int = strawberry.field(
        description="The practice's event sequence of that latest change (increasing; only to "
        "tell events apart: a dashboard refetches on connect, there is no resume)."
    )

    def merged(self, later: DashboardEvent) -> DashboardEvent:
        """One event announcing both (the areas of either, the later time and sequence)."""
        areas = sorted({*self.areas, *later.areas}, key=_ORDER.__getitem__)
        newest = later if later.sequence >= self.sequence else self
        return DashboardEvent(
            practice_id=self.practice_id,
            areas=areas,
            changed_at=newest.changed_at,
            sequence=newest.sequence,
        )


def dashboard_renderer(scopes: frozenset[str]) -> Callable[[StoredEvent], Awaitable[object]]:
    async def render(event: StoredEvent) -> DashboardEvent | None:
        moved = live.areas_of(event.topic, event.type)
        if not moved:
            return None
        return DashboardEvent(
            practice_id=strawberry.ID(str(event.practice_id)),
            areas=sorted((DashboardArea(a.value) for a in moved), key=_ORDER.__getitem__),
            changed_at=event.occurred_at,
            sequence=event.sequence,
        )

    return render


def any_dashboard(item: object) -> bool:
    return isinstance(item, DashboardEvent)


def merge(earlier: DashboardEvent, later: DashboardEvent) -> DashboardEvent:
    return earlier.merged(later)


__all__ = ["DashboardArea", "DashboardEvent", "any_dashboard", "dashboard_renderer", "merge"]
