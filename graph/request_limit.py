"""The per-request limit's state for one request, and what a worker knows of refused callers.

A GraphQL request pays its request unit together with its query-cost budget, in the budget check
(one Redis round trip: ``graph.rate_limits.charge_both``). ``graph.middleware.RateLimit`` leaves a
``RequestCharge`` in the scope for that; a request that never reaches the budget check (a bad
token, a document that does not parse, GraphiQL's page) pays its unit when it is done. Every
verdict a worker sees is remembered while it refuses: a caller whose bucket is empty is refused
before anything runs, without asking Redis, until a unit is free again.
"""

from __future__ import annotations

import math
import time
from collections import OrderedDict
from dataclasses import dataclass

from graph.rate_limits import Limiter, Verdict

REQUEST_CHARGE = "aescrm.request_charge"  # HTTP scope state: the request's RequestCharge
POLICY = "requests"  # the IETF policy name, apart from the budget's "default"
MAX_REMEMBERED = 50_000


@dataclass(slots=True)
class RequestCharge:
    """Whose request unit this request pays, and the verdict once it has paid."""

    key: str
    limiter: Limiter
    verdict: Verdict | None = None


def request_limit_headers(per_minute: int, verdict: Verdict) -> list[tuple[bytes, bytes]]:
    """A refusal's ``Retry-After`` and the IETF fields, in requests."""
    return [
        (b"retry-after", str(max(1, math.ceil(verdict.wait))).encode()),
        (b"ratelimit-policy", f'"{POLICY}";q={per_minute};w=60'.encode()),
        (b"ratelimit", f'"{POLICY}";r={verdict.remaining};t={math.ceil(verdict.reset)}'.encode()),
    ]


class KnownRefusals:
    """Callers whose bucket this worker saw empty, until their next unit is free.

    Exact, not a guess: a bucket only refills with time, so a bucket seen empty stays empty until
    then whatever the other workers do. Bounded: the oldest entries are dropped first."""

    def __init__(self, per_minute: int) -> None:
        self.interval = 60.0 / per_minute
        self.tolerance = self.interval * per_minute
        self.until: OrderedDict[str, tuple[float, float, Verdict]] = OrderedDict()  # until, seen

    def note(self, key: str, verdict: Verdict) -> None:
        if verdict.allowed and verdict.remaining > 0:
            self.until.pop(key, None)
            return
        now = time.monotonic()
        # Refused: free after its wait. Allowed with none left: the next unit frees when the
        # backlog has drained to one interval under the tolerance.
        wait = verdict.wait
        if verdict.allowed:
            wait = verdict.reset + self.interval - self.tolerance
        if wait <= 0:
            self.until.pop(key, None)
            return
        self.until[key] = (now + wait, now, verdict)
        self.until.move_to_end(key)
        if len(self.until) > MAX_REMEMBERED:
            self.until.popitem(last=False)

    def refusal(self, key: str) -> Verdict | None:
        """The refusal to answer now, or None when the caller may have a free unit."""
        entry = self.until.get(key)
        if entry is None:
            return None
        until, seen, verdict = entry
        now = time.monotonic()
        if now >= until:
            del self.until[key]
            return None
        return Verdict(until - now, 0, max(until - now, verdict.reset - (now - seen)))


__all__ = [
    "REQUEST_CHARGE",
    "KnownRefusals",
    "RequestCharge",
    "request_limit_headers",
]
