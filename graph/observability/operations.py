"""Per-operation metrics and spans, as Strawberry schema extensions.

``OperationMetrics`` is the first extension of the schema, so it exits last: the errors it
counts already carry their final ``extensions.code`` (``graph.errors.ErrorCodes``). A request
pays two ``perf_counter`` calls, one dictionary look-up for its label children (created once
per operation name and outcome, then cached), three increments, and one context variable
set/reset around the operation for the SQL statement count.

Operation names come from clients: a name is labelled as sent only while fewer than
:data:`MAX_OPERATION_NAMES` distinct names have been seen by the process; later new names (and
names that are not GraphQL names) are labelled ``other``, so a client cannot mint series.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from time import perf_counter
from typing import TYPE_CHECKING, Any

from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from db import statement_meter
from graph.observability.series import (
    OPERATION_SECONDS,
    OPERATIONS,
    RESOLVER_ERRORS,
    SQL_STATEMENTS,
)

if TYPE_CHECKING:
    from opentelemetry.trace import Tracer

__all__ = ["MAX_OPERATION_NAMES", "OperationMetrics", "operation_span"]

MAX_OPERATION_NAMES = 200
ANONYMOUS = "anonymous"
OTHER = "other"
UNCODED = "INTERNAL_SERVER_ERROR"
PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]{0,99}")

# (operation name, outcome) -> the counter's and the histogram's children for that pair
_children: dict[tuple[str, str], tuple[Any, Any]] = {}
_names: set[str] = set()
_codes: dict[str, Any] = {}


def _label(name: str | None) -> str:
    if not name:
        return ANONYMOUS
    if name in _names:
        return name
    if len(_names) >= MAX_OPERATION_NAMES or not _NAME.fullmatch(name):
        return OTHER
    _names.add(name)
    return name


def _record(name: str | None, outcome: str, seconds: float) -> None:
    children = _children.get((name or ANONYMOUS, outcome))
    if children is None:
        label = _label(name)
        children = (
            OPERATIONS.labels(label, outcome),
            OPERATION_SECONDS.labels(label, outcome),
        )
        _children[(name or ANONYMOUS, outcome)] = children
    children[0].inc()
    children[1].observe(seconds)


def _count(code: str) -> None:
    child = _codes.get(code)
    if child is None:
        child = _codes[code] = RESOLVER_ERRORS.labels(code)
    child.inc()


def _outcome(context: ExecutionContext) -> str:
    """Counts each error by code; the outcome is the first error's code, or ``ok``.

    An operation that ends with no result at all was cut short by an exception (a document
    that does not parse ends that way: the view codes its error afterwards)."""
    result = context.result
    errors = result.errors if result is not None else context.pre_execution_errors
    if not errors:
        if result is not None:
            return "ok"
        code = PARSE_FAILED if context.graphql_document is None else UNCODED
        _count(code)
        return code
    first = ""
    for error in errors:
        code = str((error.extensions or {}).get("code") or UNCODED)
        _count(code)
        first = first or code
    return first


class OperationMetrics(SchemaExtension):
    """Times the operation and counts its outcome, its errors and its SQL statements.

    Recorded in ``finally``: an exception ending the operation (a document that does not
    parse) is thrown into this generator."""

    def on_operation(self) -> Iterator[None]:
        cell, token = statement_meter.begin()
        began = perf_counter()
        try:
            yield
        finally:
            statement_meter.end(token)
            seconds = perf_counter() - began
            context = self.execution_context
            outcome = _outcome(context)
            if len(_children) > 4 * MAX_OPERATION_NAMES:  # past the cap, only "other" is new
                _children.clear()
            _record(context.operation_name, outcome, seconds)
            SQL_STATEMENTS.observe(cell[0])


def operation_span(tracer: Tracer) -> type[SchemaExtension]:
    """An extension opening one span per operation (SQL spans nest under it), named
    ``<type> <name>`` as OpenTelemetry's GraphQL conventions say (``query Board``)."""

    class OperationSpan(SchemaExtension):
        def on_operation(self) -> Iterator[None]:
            with tracer.start_as_current_span("graphql") as span:
                try:
                    yield
                finally:
                    context = self.execution_context
                    name = context.operation_name or ANONYMOUS
                    kind = "graphql"  # a document that did not parse has no operation type
                    if context.graphql_document is not None:
                        with contextlib.suppress(Exception):
                            kind = context.operation_type.value
                    span.update_name(f"{kind} {name}")
                    span.set_attribute("graphql.operation.name", name)
                    span.set_attribute("graphql.operation.type", kind)
                    result = context.result
                    if result is not None and result.errors:
                        span.set_attribute("graphql.errors", len(result.errors))

    return OperationSpan
