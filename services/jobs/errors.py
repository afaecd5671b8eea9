"""What a handler raises to steer its job: give up now, or try again later without blame.

Any other exception is a failure: retried with exponential backoff and full jitter until the
handler's ``max_attempts``, then the job is DEAD. Messages must not carry patient data (they are
scrubbed and truncated before being stored in ``job.last_error`` anyway).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


class JobError(Exception):
    """Base of the errors a handler raises on purpose."""


class PermanentFailure(JobError):
    """Retrying cannot help (the appointment is gone, the address is invalid): DEAD at once."""


class Retry(JobError):
    """Run again at ``after`` (a time, or a delay from now); not counted as a failed attempt.

    For waits that are part of the work, e.g. quiet hours before an SMS may go out.
    """

    def __init__(self, after: datetime | timedelta, reason: str = "retry requested") -> None:
        super().__init__(reason)
        self.after = after

    def due(self, now: datetime) -> datetime:
        if isinstance(self.after, timedelta):
            return now + self.after
        if self.after.tzinfo is None:
            return self.after.replace(tzinfo=UTC)
        return self.after
