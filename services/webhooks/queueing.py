"""Jobs this package enqueues (``services.jobs``), named once.

Both are written on the caller's connection, inside its unit of work: a delivery row and the
job that sends it commit together, or neither does.
"""

from __future__ import annotations

from uuid import UUID

from services.jobs.queue import enqueue

FANOUT = "webhooks.fanout"
DELIVER = "webhooks.deliver"


async def delivery(delivery_id: UUID, practice_id: UUID, *, round_: str = "0") -> bool:
    """Sends the delivery; ``round_`` makes a replay a new job (the key is per round)."""
    return await enqueue(
        DELIVER,
        {"delivery_id": str(delivery_id)},
        key=f"{delivery_id}:{round_}",
        practice_id=practice_id,
    )


async def fanout(practice_id: UUID, sequence: int) -> bool:
    """Fans the practice's events out up to ``sequence`` (one job per practice and head)."""
    return await enqueue(
        FANOUT,
        {"practice_id": str(practice_id)},
        key=f"{practice_id}:{sequence}",
        practice_id=practice_id,
    )


__all__ = ["DELIVER", "FANOUT", "delivery", "fanout"]
