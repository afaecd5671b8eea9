"""Reads and maintenance of the ``domain_event`` table for the relay, feeds and replay."""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.functions import Min

from db.models.outbox import DomainEvent, PracticeSequence
from realtime.envelopes import StoredEvent

_FIELDS = (
    "practice_id",
    "organization_id",
    "sequence",
    "topic",
    "type",
    "entity_id",
    "patient_id",
    "payload",
    "occurred_at",
    "previous_sequence",
)


async def last_sequence(practice_id: UUID) -> int:
    """The practice's latest allocated (hence committed, once visible) sequence."""
    found: list[Any] = await PracticeSequence.filter(practice_id=practice_id).values_list(
        "last_sequence", flat=True
    )
    return int(found[0]) if found else 0


async def oldest_kept(practice_id: UUID) -> int | None:
    found: list[dict[str, Any]] = (
        await DomainEvent.filter(practice_id=practice_id)
        .annotate(low=Min("sequence"))
        .group_by("practice_id")
        .values("low")
    )
    return int(found[0]["low"]) if found and found[0]["low"] is not None else None


async def after(
    practice_id: UUID,
    sequence: int,
    *,
    upto: int | None = None,
    topics: Collection[str] | None = None,
    limit: int = 500,
) -> list[StoredEvent]:
    """Committed events with ``sequence < n <= upto``, oldest first (the practice is a filter)."""
    query = DomainEvent.filter(practice_id=practice_id, sequence__gt=sequence)
    if upto is not None:
        query = query.filter(sequence__lte=upto)
    if topics is not None:
        query = query.filter(topic__in=list(topics))
    rows = await query.order_by("sequence").limit(limit).values(*_FIELDS)
    return [
        StoredEvent(
            practice_id=row["practice_id"],
            organization_id=row["organization_id"],
            sequence=int(row["sequence"]),
            topic=row["topic"],
            type=row["type"],
            entity_id=row["entity_id"],
            patient_id=row["patient_id"],
            payload=row["payload"] or {},
            occurred_at=row["occurred_at"],
            previous_sequence=(
                None if row["previous_sequence"] is None else int(row["previous_sequence"])
            ),
        )
        for row in rows
    ]


async def unpublished(before: datetime, limit: int) -> list[DomainEvent]:
    return (
        await DomainEvent.filter(published_at__isnull=True, occurred_at__lt=before)
        .order_by("practice_id", "sequence")
        .limit(limit)
    )


async def oldest_unpublished() -> datetime | None:
    """When the oldest event not yet published on the bus happened (the outbox lag metric)."""
    row = (
        await DomainEvent.filter(published_at__isnull=True)
        .order_by("occurred_at")
        .only("occurred_at")
        .first()
    )
    return row.occurred_at if row is not None else None


async def mark_published(ids: Sequence[UUID], when: datetime) -> None:
    if ids:
        await DomainEvent.filter(id__in=list(ids)).update(published_at=when)


async def prune(
    before: datetime,
    *,
    batch_size: int = 5_000,
    on_batch: Callable[[int, int], None] | None = None,
) -> int:
    """Deletes events older than ``before``; sequences stay allocated (resync still detects).

    In batches of ``batch_size`` (oldest first), each its own statement, so a year of events
    never holds one long lock on the table that live feeds read; ``on_batch(done, total)``
    after each batch lets the CLI show progress.
    """
    expired = DomainEvent.filter(occurred_at__lt=before)
    total = await expired.count()
    deleted = 0
    while deleted < total:
        ids = await expired.order_by("occurred_at").limit(batch_size).values_list("id", flat=True)
        if not ids:
            break
        deleted += await DomainEvent.filter(id__in=list(ids)).delete()
        if on_batch is not None:
            on_batch(deleted, max(total, deleted))
    return deleted


__all__ = ["after", "last_sequence", "mark_published", "oldest_kept", "prune", "unpublished"]
