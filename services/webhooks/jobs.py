"""Job handlers of the webhook pipeline (registered through ``services.jobs.catalogue``).

- ``webhooks.fanout``: fan a practice's committed events out (enqueued after each commit
  with events of interest by ``fanout.nudge``, key ``<practice>:<sequence>``);
- ``webhooks.sweep``: every minute (``services.jobs.schedules``), any practice left behind;
- ``webhooks.deliver``: send one delivery. A retryable failure (5xx, 408, 429, timeout,
  connection error, an address refused now) raises, so the runner retries it with exponential
  backoff and jitter up to ``MAX_ATTEMPTS``; a 4xx or redirect is final (``PermanentFailure``).
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from services.jobs.errors import PermanentFailure
from services.jobs.registry import job_handler
from services.webhooks import delivery, fanout, queueing
from services.webhooks.config import MAX_ATTEMPTS

SWEEP = "webhooks.sweep"


class DeliveryFailed(Exception):
    """A retryable attempt failed; the message names the outcome only (no patient data)."""


@job_handler(queueing.DELIVER, max_attempts=MAX_ATTEMPTS)
async def deliver(payload: dict[str, Any]) -> None:
    result = await delivery.deliver(UUID(str(payload["delivery_id"])))
    outcome = result.outcome.outcome if result.outcome else result.status
    if result.retry:
        raise DeliveryFailed(f"webhook attempt failed: {outcome}")
    if result.status == delivery.FAILED:
        raise PermanentFailure(f"webhook delivery failed: {outcome}")


@job_handler(queueing.FANOUT)
async def fan_out(payload: dict[str, Any]) -> None:
    await fanout.run(UUID(str(payload["practice_id"])))


@job_handler(SWEEP, max_attempts=1)
async def sweep(payload: dict[str, Any]) -> None:
    await fanout.sweep()


__all__ = ["SWEEP", "DeliveryFailed", "deliver", "fan_out", "sweep"]
