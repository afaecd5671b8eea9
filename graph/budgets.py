"""Query-cost budgets: each operation pays its query cost, weighted by its kind, from a bucket.

The per-request limit (``graph.middleware.RateLimit``) counts requests; one request can still
ask for a great deal. Here every operation that passed validation is charged the cost the
validation rule computes (``graph.limits.operation_cost``) times a weight: reads cheap, writes
dear, subscriptions once at subscribe (Medplum's weighted-cost idea). The buckets are the same
GCRA limiters (``graph.rate_limits``: one Lua script in Redis, shared by every worker; per
process without Redis), taking a variable number of units.

Two pools with their own limits and Redis keys: partner apps (one bucket per app) and first-party
traffic (staff, the patient portal and its online booking: one bucket per user, else per client
address). A partner that spends its whole budget therefore never slows down the practice's own
screens or a patient booking online.

Every HTTP answer of ``/graphql`` describes the caller's bucket with the IETF headers of
draft-ietf-httpapi-ratelimit-headers (``RateLimit-Policy: "default";q=…;w=60`` and
``RateLimit: "default";r=…;t=…``, in cost units); a refusal is HTTP 429 with ``Retry-After``.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum

from graphql import DocumentNode
from strawberry.types.graphql import OperationType

from graph.limits import operation_cost
from graph.rate_limits import Limiter, Verdict, build_limiter, charge_both
from graph.request_limit import RequestCharge
from graph.settings import Settings
from services.principal import Principal

POLICY = "default"  # the one quota policy the headers name
WINDOW_SECONDS = 60  # limits are per minute: the bucket holds a minute's units
COST_CACHE_SIZE = 512  # (document text, operation) pairs whose cost is remembered


class Pool(StrEnum):
    PARTNER = "partner"
    FIRST_PARTY = "first-party"


@dataclass(frozen=True, slots=True)
class Account:
    """Whose bucket an operation is charged to."""

    pool: Pool
    key: str


def account_of(principal: Principal | None, address: str) -> Account:
    """A partner app's token: the app's bucket. A user (staff or patient): theirs, in the
    first-party pool. Nobody signed in (sign-in itself): the client address's."""
    if principal is not None and principal.client_id is not None:
        return Account(Pool.PARTNER, "c:" + principal.client_id)
    if principal is not None and principal.user_id is not None:
        return Account(Pool.FIRST_PARTY, "u:" + str(principal.user_id))
    return Account(Pool.FIRST_PARTY, "a:" + address)


class Budgets:
    """The two pools, the weights, the price of an operation and the headers that describe it."""

    def __init__(self, settings: Settings) -> None:
        prefix = settings.budget_key_prefix
        self.pools: dict[Pool, Limiter] = {
            pool: build_limiter(per_minute, settings.redis_url, f"{prefix}{pool.value}:")
            for pool, per_minute in (
                (Pool.PARTNER, settings.budget_partner_per_minute),
                (Pool.FIRST_PARTY, settings.budget_first_party_per_minute),
            )
        }
        self.weights = {
            OperationType.QUERY: settings.budget_read_weight,
            OperationType.MUTATION: settings.budget_write_weight,
            OperationType.SUBSCRIPTION: settings.budget_subscribe_weight,
        }
        self.max_page = settings.max_page_size
        self.ceiling = settings.max_query_cost  # validation refused anything dearer
        self.costs: OrderedDict[tuple[str, str | None], int] = OrderedDict()

    def price(
        self,
        kind: OperationType,
        document: DocumentNode,
        operation_name: str | None,
        text: str | None,
    ) -> int:
        """Weight × query cost. The cost of a document text is remembered (the parser cache
        hands out the same document for the same text, and the validation cache skips the
        rule that would price it again)."""
        key = (text or "", operation_name)
        cost = self.costs.get(key) if text else None
        if cost is None:
            cost = operation_cost(document, operation_name, self.max_page, self.ceiling)
            if text:
                self.costs[key] = cost
                if len(self.costs) > COST_CACHE_SIZE:
                    self.costs.popitem(last=False)
        return self.weights[kind] * cost

    async def charge(
        self, account: Account, units: int, request: RequestCharge | None = None
    ) -> Verdict:
        """All or nothing. A price above the whole bucket is charged as a full bucket: it
        waits for a full bucket instead of never being allowed. With the request's unit still
        to pay (``request``), both are charged at once, and a refused request only reads the
        budget (``request.verdict`` says which)."""
        limiter = self.pools[account.pool]
        units = min(units, limiter.per_minute)
        if request is None or request.verdict is not None:
            return await limiter.charge(account.key, units)
        request.verdict, verdict = await charge_both(
            request.limiter, request.key, limiter, account.key, units
        )
        return verdict

    async def peek(self, account: Account) -> Verdict:
        """The bucket as it is (for answers that ran nothing: errors before execution)."""
        return await self.pools[account.pool].charge(account.key, 0)

    def headers(self, account: Account, verdict: Verdict) -> list[tuple[bytes, bytes]]:
        quota = self.pools[account.pool].per_minute
        policy = f'"{POLICY}";q={quota};w={WINDOW_SECONDS}'
        state = f'"{POLICY}";r={verdict.remaining};t={math.ceil(verdict.reset)}'
        found = [(b"ratelimit-policy", policy.encode()), (b"ratelimit", state.encode())]
        if not verdict.allowed:
            found.append((b"retry-after", str(retry_after(verdict)).encode()))
        return found

    async def close(self) -> None:
        for limiter in self.pools.values():
            await limiter.close()


def retry_after(verdict: Verdict) -> int:
    """Whole seconds, at least 1 (``Retry-After`` and ``extensions.retryAfterSeconds``)."""
    return max(1, math.ceil(verdict.wait))


__all__ = ["Account", "Budgets", "Pool", "account_of", "retry_after"]
