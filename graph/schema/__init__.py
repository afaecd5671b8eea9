"""Builds the one Strawberry schema with its hardening extensions (classes/factories only)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from typing import Any

import strawberry
from graphql import GraphQLError, NoSchemaIntrospectionCustomRule
from opentelemetry.trace import Tracer
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig

from graph.audit_extension import FlushReadTrail
from graph.auth_limits import SingleCredentialCheck
from graph.budget_check import budget_check
from graph.budgets import Budgets
from graph.engine.execution import CheckedExecutor, Executor
from graph.errors import ErrorCodes
from graph.limits import cost_rule, max_directives_rule
from graph.observability.operations import OperationMetrics, operation_span
from graph.request_inputs import StringCharacters
from graph.resolvers import Mutation, Query, Subscription
from graph.schema.datetime_scalar import DATETIME
from graph.schema.documentation import document_schema
from graph.settings import Settings
from services.principal import Principal


def _limits(settings: Settings) -> type[SchemaExtension]:
    # Rule classes are built once: the validation cache is keyed by them, and Strawberry's
    # limiter extensions would mint new classes per request (every request a cache miss).
    rules = (
        *QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules,
        *MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules,
        max_directives_rule(settings.max_directives),
        cost_rule(settings.max_query_cost, settings.max_page_size),
        SingleCredentialCheck,
        StringCharacters,
    )

    class OperationLimits(SchemaExtension):
        """Adds cost/directive rules, and the introspection ban where the caller may not look."""

        def on_operation(self) -> Iterator[None]:
            context = self.execution_context.context
            self.execution_context.validation_rules = (
                *self.execution_context.validation_rules,
                *rules,
            )
            principal = getattr(context, "principal", None)
            if not (settings.introspection_open or may_introspect(principal, settings)):
                self.execution_context.validation_rules = (
                    *self.execution_context.validation_rules,
                    NoSchemaIntrospectionCustomRule,
                )
            yield

    return OperationLimits


def may_introspect(principal: Principal | None, settings: Settings) -> bool:
    """Signed-in users holding a role the setting names; never partner apps (nor patients,
    whom the setting cannot name)."""
    if principal is None or principal.user_id is None or principal.client_id is not None:
        return False
    if principal.enrolment_only:
        return False
    return not principal.roles.isdisjoint(settings.introspection_roles)


def extensions_for(
    settings: Settings, budgets: Budgets | None = None, tracer: Tracer | None = None
) -> list[Callable[[], SchemaExtension] | type]:
    """With ``budgets``, each operation is charged right after the validation cache has
    validated it (the order matters: a charge must see the validation errors)."""
    # First, so they exit last: the errors they see carry their final codes (ErrorCodes).
    observing: list[Callable[[], SchemaExtension] | type] = []
    if settings.metrics_enabled:
        observing.append(OperationMetrics)
    if tracer is not None:
        observing.append(operation_span(tracer))
    return [
        *observing,
        ErrorCodes,
        partial(ParserCache, maxsize=256),
        partial(MaxTokensLimiter, max_token_count=settings.max_tokens),
        _limits(settings),
        partial(ValidationCache, maxsize=256),
        *([budget_check(budgets)] if budgets is not None else []),
        FlushReadTrail,
    ]


class AescrmSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Silenced: ``graph.errors`` logs unexpected errors once, with the request id."""


def build_schema(
    settings: Settings | None = None,
    budgets: Budgets | None = None,
    tracer: Tracer | None = None,
) -> strawberry.Schema:
    """``budgets`` charges operations (the server's schema); without, none are (schema export).
    ``tracer`` (tracing on) adds a span per operation."""
    settings = settings or Settings()
    schema = AescrmSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions_for(settings, budgets, tracer),
        execution_context_class=Executor if settings.engine_shortcuts else CheckedExecutor,
        config=StrawberryConfig(disable_field_suggestions=settings.is_production),
        scalar_overrides={datetime: DATETIME},
    )
    document_schema(schema._schema)
    return schema
