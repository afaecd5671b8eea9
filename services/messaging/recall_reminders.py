"""The daily recall sweep: a reminder for each recall falling due within the lead time.

Reads the recalls the diary keeps (``services.scheduling.recalls``: one row per patient and
kind with its next due date). Each reminder's id is derived from the recall and its due date,
so the sweep may run any number of times (or on several workers) and a patient hears once per
due date; a due date moved on by a visit is a new reminder next time.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from db.queries import diary_settings
from db.queries import messages as queries
from db.uow import unit_of_work
from services import tenant_gate
from services.messaging import patient_messages

LEAD_DAYS = 14
BATCH = 500
SWEEP_KIND = "messages.recall_sweep"


async def sweep(*, now: datetime | None = None, lead_days: int = LEAD_DAYS) -> int:
    """Queue reminders for recalls due within ``lead_days`` of each practice's today."""
    now = now or datetime.now(UTC)
    queued = 0
    for practice_id in await queries.practice_ids():
        pid = tenant_gate.operator_practice(practice_id)
        practice = await diary_settings.practice(pid)
        if practice is None:
            continue
        today: date = now.astimezone(ZoneInfo(practice.timezone)).date()
        recalls = await queries.due_recalls(pid, today + timedelta(days=lead_days), BATCH)
        async with unit_of_work() as uow:
            for recall in recalls:
                patient = await queries.patient_in(pid, recall.patient_id, uow.connection)
                if patient is not None and await patient_messages.recall_reminder(
                    uow.connection, patient, recall.id, recall.kind, recall.due_on
                ):
                    queued += 1
    return queued


__all__ = ["LEAD_DAYS", "SWEEP_KIND", "sweep"]
