"""Writing domain events into the outbox inside the change's own transaction.

Every event is numbered from the practice's one gap-free sequence, and also linked to the
previous event of its *stream* (``previous_sequence``), so a subscriber that reads one stream can
tell the other streams' numbers from lost events:

- by default an event's stream is its topic in the practice (every ``schedule`` event of the
  practice forms one stream); the heads live on the sequence row the allocation already locks
  and updates, so linking costs no statement;
- with ``patient_stream`` (topics whose subscriptions are per patient, e.g. ``consent``) the
  stream is the topic's events of that one patient; its head is read from the table (one indexed
  statement per such event: they are rare writes).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Max

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
    # The stream is this topic's events of ``patient_id`` only (see the module docstring).
    patient_stream: bool = False


async def _allocate(
    practice_id: UUID, count: int, connection: BaseDBAsyncClient
) -> PracticeSequence:
    """Locks the practice's sequence row (gap-free numbers across writers) and returns it."""
    await PracticeSequence.bulk_create(
        [PracticeSequence(practice_id=practice_id, last_sequence=0)],
        ignore_conflicts=True,
        using_db=connection,
    )
    return (
        await PracticeSequence.select_for_update().using_db(connection).get(practice_id=practice_id)
    )


async def _latest(connection: BaseDBAsyncClient, practice_id: UUID, **where: Any) -> int:
    """The latest committed sequence of the practice's events matching ``where`` (0: none)."""
    found: list[dict[str, Any]] = (
        await DomainEvent.filter(practice_id=practice_id, **where)
        .using_db(connection)
        .annotate(head=Max("sequence"))
        .group_by("practice_id")
        .values("head")
    )
    return int(found[0]["head"]) if found and found[0]["head"] is not None else 0


class _Streams:
    """Stream heads of one practice while a batch is numbered (under the sequence row lock)."""

    def __init__(self, row: PracticeSequence, connection: BaseDBAsyncClient) -> None:
        self.practice_id = UUID(str(row.practice_id))
        self.heads: dict[str, int] = {k: int(v) for k, v in (row.stream_heads or {}).items()}
        self.patients: dict[tuple[str, UUID], int] = {}
        self.connection = connection

    async def link(self, event: PendingEvent, sequence: int) -> int:
        """The previous sequence of ``event``'s stream; ``sequence`` becomes its head."""
        topic = event.topic
        if topic not in self.heads:  # a new practice, or events recorded before streams
            self.heads[topic] = await _latest(self.connection, self.practice_id, topic=topic)
        previous = self.heads[topic]
        if event.patient_stream and event.patient_id is not None:
            key = (topic, event.patient_id)
            if key not in self.patients:
                self.patients[key] = await _latest(
                    self.connection, self.practice_id, patient_id=event.patient_id, topic=topic
                )
            previous = self.patients[key]
            self.patients[key] = sequence
        self.heads[topic] = sequence
        return previous


async def append(
    events: Iterable[PendingEvent], connection: BaseDBAsyncClient
) -> list[DomainEvent]:
    by_practice: dict[UUID, list[PendingEvent]] = {}
    for event in events:
        by_practice.setdefault(event.practice_id, []).append(event)
    rows: list[DomainEvent] = []
    for practice_id in sorted(by_practice, key=str):
        batch = by_practice[practice_id]
        head = await _allocate(practice_id, len(batch), connection)
        first = int(head.last_sequence) + 1
        streams = _Streams(head, connection)
        for offset, event in enumerate(batch):
            rows.append(
                DomainEvent(
                    id=uuid4(),
                    organization_id=event.organization_id,
                    practice_id=practice_id,
                    sequence=first + offset,
                    previous_sequence=await streams.link(event, first + offset),
                    topic=event.topic,
                    type=event.type,
                    entity_id=event.entity_id,
                    patient_id=event.patient_id,
                    payload=event.payload,
                    occurred_at=event.occurred_at,
                )
            )
        head.last_sequence = first + len(batch) - 1
        head.stream_heads = streams.heads
        await head.save(using_db=connection, update_fields=["last_sequence", "stream_heads"])
    if rows:
        await DomainEvent.bulk_create(rows, using_db=connection)
    return rows
