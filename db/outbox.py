"""Writing domain events into the outbox inside the change's own transaction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient

from db.models.outbox import DomainEvent, PracticeSequence


@dataclass(slots=True)
class PendingEvent:
    organization_id: UUID
    practice_id: UUID
    topic: str
    type: str
    entity_id: UUID | None = None
    patient_id: UUID | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))


async def _allocate(practice_id: UUID, count: int, connection: BaseDBAsyncClient) -> int:
    """Reserve ``count`` sequence numbers; the row lock makes them gap-free across writers."""
    await PracticeSequence.bulk_create(
        [PracticeSequence(practice_id=practice_id, last_sequence=0)],
        ignore_conflicts=True,
        using_db=connection,
    )
    row = (
        await PracticeSequence.select_for_update().using_db(connection).get(practice_id=practice_id)
    )
    first = int(row.last_sequence) + 1
    row.last_sequence += count
    await row.save(using_db=connection, update_fields=["last_sequence"])
    return first


async def append(
    events: Iterable[PendingEvent], connection: BaseDBAsyncClient
) -> list[DomainEvent]:
    by_practice: dict[UUID, list[PendingEvent]] = {}
    for event in events:
        by_practice.setdefault(event.practice_id, []).append(event)
    rows: list[DomainEvent] = []
    for practice_id in sorted(by_practice, key=str):
        batch = by_practice[practice_id]
        sequence = await _allocate(practice_id, len(batch), connection)
        for offset, event in enumerate(batch):
            rows.append(
                DomainEvent(
                    id=uuid4(),
                    organization_id=event.organization_id,
                    practice_id=practice_id,
                    sequence=sequence + offset,
                    topic=event.topic,
                    type=event.type,
                    entity_id=event.entity_id,
                    patient_id=event.patient_id,
                    payload=event.payload,
                    occurred_at=event.occurred_at,
                )
            )
    if rows:
        await DomainEvent.bulk_create(rows, using_db=connection)
    return rows
