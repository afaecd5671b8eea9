"""The job that sends a recorded message (``messages.send``; key = message id).

A transient transport failure raises (the runner retries with backoff); quiet hours raise
``Retry(after=…)``, which is not a failure; everything else ends the job.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.jobs.errors import Retry
from services.jobs.registry import job_handler
from services.jobs.runner import current_job
from services.messaging import delivery, recall_reminders
from services.messaging.channels import TransientSendError
from services.messaging.records import SEND_KIND

SEND_ATTEMPTS = 8


@job_handler(SEND_KIND, max_attempts=SEND_ATTEMPTS)
async def send_message(payload: dict[str, Any]) -> None:
    message_id = UUID(str(payload["message_id"]))
    try:
        outcome = await delivery.deliver(message_id)
    except TransientSendError as error:
        job = current_job()
        if job is not None and job.attempt >= SEND_ATTEMPTS:  # the job dies: so does the message
            await delivery.give_up(message_id, str(error))
        raise
    if outcome.defer_until is not None:
        raise Retry(after=outcome.defer_until)


@job_handler(recall_reminders.SWEEP_KIND, max_attempts=3)
async def recall_sweep(payload: dict[str, Any]) -> None:
    await recall_reminders.sweep()


__all__ = ["recall_sweep", "send_message"]
