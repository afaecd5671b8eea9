"""Charges each operation's budget (``graph.budgets``) once it has validated, before it runs.

The charge happens in the validation step, just after the validation cache has validated the
document, so a refusal is a pre-execution error: nothing executes (no resolver, no SQL, no
subscription is set up), HTTP answers 429 (``graph.view`` sets the status and the headers from
what is left in the request's scope state) and a WebSocket gets an ``error`` frame for that
operation (graphql-transport-ws' answer to an operation refused before it starts), both with
``extensions.code`` ``RATE_LIMITED`` and ``retryAfterSeconds``. Documents that fail validation
are not charged (they ran nothing); they are already limited per request. The request's unit
of the per-request limit (``graph.request_limit``) is paid here too, in the same Redis call; when
it is refused the operation is refused as ``graph.middleware.RateLimit`` would have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from graphql import GraphQLError, validate
from starlette.requests import Request
from strawberry.extensions import SchemaExtension

from graph.budgets import Account, Budgets, account_of, retry_after
from graph.observability.series import BUDGET_REFUSED, RATE_LIMITED
from graph.request_limit import REQUEST_CHARGE, RequestCharge

BUDGET_CHARGE = "aescrm.budget_charge"  # HTTP scope state: (account, verdict) of the charge
BUDGET_ACCOUNT = "aescrm.budget_account"  # HTTP scope state: whose bucket the headers describe


def account_for(context: Any) -> Account:
    """The caller's account from the operation context (its principal and client address)."""
    client = context.request.scope.get("client") or ("-",)
    return account_of(getattr(context, "principal", None), str(client[0]))


def budget_check(budgets: Budgets) -> type[SchemaExtension]:
    class ChargeBudget(SchemaExtension):
        """Listed after ``ValidationCache``, which validates in its own hook (this one runs the
        same validation itself when nothing has validated yet)."""

        async def on_validate(self) -> AsyncIterator[None]:
            context = self.execution_context
            document = context.graphql_document
            if document is not None and context.pre_execution_errors is None:
                schema = context.schema._schema
                context.pre_execution_errors = validate(schema, document, context.validation_rules)
            if document is not None and not context.pre_execution_errors:
                account = account_for(context.context)
                units = budgets.price(
                    context.operation_type, document, context.operation_name, context.query
                )
                request = context.context.request
                is_http = isinstance(request, Request)
                state = request.scope.setdefault("state", {}) if is_http else {}
                pending: RequestCharge | None = state.get(REQUEST_CHARGE)
                verdict = await budgets.charge(account, units, pending)
                state[BUDGET_CHARGE] = (account, verdict)
                if pending is not None and pending.verdict and not pending.verdict.allowed:
                    # The per-request limit's refusal, as graph.middleware.RateLimit words it.
                    RATE_LIMITED.inc()
                    context.pre_execution_errors = [
                        GraphQLError("Too many requests.", extensions={"code": "RATE_LIMITED"})
                    ]
                elif not verdict.allowed:
                    BUDGET_REFUSED.labels(account.pool.value).inc()
                    seconds = retry_after(verdict)
                    context.pre_execution_errors = [
                        GraphQLError(
                            f"Over the rate budget for this caller; retry in {seconds} s.",
                            extensions={"code": "RATE_LIMITED", "retryAfterSeconds": seconds},
                        )
                    ]
            yield

    return ChargeBudget


__all__ = ["BUDGET_ACCOUNT", "BUDGET_CHARGE", "account_for", "budget_check"]
