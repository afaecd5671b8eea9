"""What travels on the bus (``Envelope``: ids only) and what feeds read back (``StoredEvent``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

import orjson

from db.models.outbox import DomainEvent

SCHEDULE = "schedule"
CONSENT = "consent"
CLINICAL = "clinical"
BILLING = "billing"
RECALL = "recall"  # a patient's recall set, moved on or removed (ids only)
TOPICS = frozenset({SCHEDULE, CONSENT, CLINICAL, BILLING, RECALL})


@dataclass(frozen=True, slots=True)
class Envelope:
    """A committed event's address. No patient data: the bus is not an audited store."""

    practice_id: UUID
    topic: str
    sequence: int

    def encode(self) -> bytes:
        return orjson.dumps({"p": str(self.practice_id), "t": self.topic, "s": self.sequence})

    @classmethod
    def decode(cls, raw: bytes | str) -> Envelope | None:
        """``None`` for anything malformed: a bad message must not stop a listener."""
        try:
            data = orjson.loads(raw)
            return cls(UUID(data["p"]), str(data["t"]), int(data["s"]))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            return None

    @classmethod
    def of(cls, row: DomainEvent) -> Envelope:
        return cls(row.practice_id, row.topic, int(row.sequence))


@dataclass(frozen=True, slots=True)
class StoredEvent:
    """A committed domain event as a feed renders it (plain values, no ORM object)."""

    practice_id: UUID
    organization_id: UUID
    sequence: int
    topic: str
    type: str
    entity_id: UUID | None
    patient_id: UUID | None
    payload: dict[str, Any]
    occurred_at: datetime
    # The previous event of this event's stream (``db.outbox``); None before migration 0008.
    previous_sequence: int | None = None


__all__ = [
    "BILLING",
    "CLINICAL",
    "CONSENT",
    "RECALL",
    "SCHEDULE",
    "TOPICS",
    "Envelope",
    "StoredEvent",
]
