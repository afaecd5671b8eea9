"""Domain events -> one delivery row per interested endpoint, durably and exactly once.

Each practice has a cursor: the last event sequence fanned out. One transaction locks the
cursor, reads the events after it (up to the practice's committed head), inserts the delivery
rows (unique on endpoint + event, so a second run inserts nothing; a disabled endpoint's rows
are recorded DISABLED, for a replay after it is re-enabled), enqueues their send jobs
and moves the cursor — all or nothing. A crash anywhere leaves the cursor where it was and the
next run redoes the batch; an event is never skipped because ``db.outbox`` numbers a practice's
events gap-free under a row lock held until commit (no later commit has a smaller number).

Runs as the ``webhooks.fanout`` job: enqueued after each commit with events (``nudge``) and
swept every minute by the scheduler (``sweep``), so a lost nudge delays, never drops.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models import DomainEvent, PartnerWebhookDelivery
from db.queries import webhook_deliveries as rows
from db.uow import unit_of_work
from services.webhooks import queueing
from services.webhooks.events import DOMAIN_TYPES, FROM_DOMAIN

BATCH = 500


async def fan_out(practice_id: UUID, *, batch: int = BATCH) -> tuple[int, bool]:
    """One batch of the practice's events: (deliveries created, more events left)."""
    async with unit_of_work() as uow:
        connection = uow.connection
        cursor = await rows.locked_cursor(practice_id, connection)
        if cursor is None:
            return 0, False
        head = await rows.head(practice_id, connection)
        after = int(cursor.last_sequence)
        if head <= after:
            return 0, False
        events = await rows.events_after(practice_id, after, head, DOMAIN_TYPES, batch, connection)
        upto = int(events[-1].sequence) if len(events) >= batch else head
        stored = await rows.add_deliveries(
            await _deliveries(practice_id, events, connection), connection
        )
        for delivery in stored:
            if delivery.status == "PENDING":
                await queueing.delivery(UUID(str(delivery.id)), practice_id)
        await rows.advance(cursor, upto, connection)
    return len(stored), upto < head


async def _deliveries(
    practice_id: UUID, events: Sequence[DomainEvent], connection: BaseDBAsyncClient
) -> list[PartnerWebhookDelivery]:
    if not events:
        return []
    listening = await rows.listening(UUID(str(events[0].organization_id)), connection)
    wanted: list[PartnerWebhookDelivery] = []
    for event in events:
        kind = FROM_DOMAIN[event.type]
        for endpoint, client in listening:
            if (
                str(practice_id) in client.practice_ids
                and kind.value in endpoint.event_types
                and endpoint.created_at <= event.occurred_at
            ):
                wanted.append(
                    PartnerWebhookDelivery(
                        id=uuid4(),
                        endpoint_id=endpoint.id,
                        event_id=event.id,
                        practice_id=practice_id,
                        sequence=event.sequence,
                        event_type=kind.value,
                        # kept for a replay once re-enabled, but not sent meanwhile
                        status="PENDING" if endpoint.enabled else "DISABLED",
                    )
                )
    return wanted


async def run(practice_id: UUID) -> int:
    """Fans out everything committed so far for the practice."""
    total, more = await fan_out(practice_id)
    while more:
        created, more = await fan_out(practice_id)
        total += created
    return total


async def sweep() -> int:
    """Every practice whose events run past its cursor (the scheduled safety net)."""
    total = 0
    for practice_id in await rows.behind():
        total += await run(practice_id)
    return total


async def nudge(events: Sequence[DomainEvent]) -> None:
    """After a commit with events of interest: enqueue the fan-out of their practices."""
    heads: dict[UUID, int] = {}
    for event in events:
        if event.type in FROM_DOMAIN:
            pid = UUID(str(event.practice_id))
            heads[pid] = max(heads.get(pid, 0), int(event.sequence))
    if not heads:
        return
    for practice_id in await rows.with_cursors(heads):
        await queueing.fanout(practice_id, heads[practice_id])


__all__ = ["fan_out", "nudge", "run", "sweep"]
