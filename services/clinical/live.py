"""What a live chart event is about: the entry it names, read once per permission group.

Events carry ids only (``chart._changed``); a subscriber's rendering reads the entry here so a
nurse charting and a dentist watching see the same tooth, code and status at once.
"""

from __future__ import annotations

from uuid import UUID

from db.models import ChartEntry
from db.queries import clinical_chart as queries
from services import tenant_gate


async def entry_of(event: tenant_gate.InPractice, entry_id: UUID) -> ChartEntry | None:
    """The entry a stored event names, in the event's own practice (never another tenant's)."""
    return await queries.entry([tenant_gate.practice_of(event)], entry_id)


__all__ = ["entry_of"]
