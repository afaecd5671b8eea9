"""Exponential backoff with full jitter, capped (AWS Architecture Blog, "Exponential Backoff
And Jitter"): the wait before attempt n+1 is uniform in [0, min(cap, base * 2**(n-1))], so many
jobs failing together (an SMTP outage) spread out instead of retrying in lock step."""

from __future__ import annotations

import random
from datetime import timedelta


def ceiling(attempt: int, *, base: timedelta, cap: timedelta) -> timedelta:
    """The longest wait after failed attempt ``attempt`` (1-based)."""
    exponent = min(max(attempt - 1, 0), 40)
    longest: timedelta = base * (2**exponent)
    return min(cap, longest)


def delay(attempt: int, *, base: timedelta, cap: timedelta) -> timedelta:
    top = ceiling(attempt, base=base, cap=cap).total_seconds()
    return timedelta(seconds=random.uniform(0, top))  # noqa: S311 - jitter, not a secret
