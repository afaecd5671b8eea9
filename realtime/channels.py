"""Bus channel names: one per practice and topic.

Channels only route; they are not a security boundary. Feeds still check the practice of every
row they deliver, so colliding names could never carry another tenant's events to a subscriber.
"""

from __future__ import annotations

from uuid import UUID

PREFIX = "practice:"


def channel_for(practice_id: UUID, topic: str) -> str:
    return f"{PREFIX}{practice_id}:{topic}"


__all__ = ["channel_for"]
