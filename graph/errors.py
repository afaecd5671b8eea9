"""One mapping from failures to GraphQL errors with a stable ``extensions.code``.

Expected domain errors keep their message; anything unexpected is masked to a generic message
plus the request id, and logged in full on the server.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import SchemaExtension

from db.transient import is_transient, is_unavailable
from services.errors import AccountLocked, DomainError

log = logging.getLogger("aescrm.errors")

INTERNAL_MESSAGE = "Internal server error. Quote the request id when reporting it."
BUSY_MESSAGE = "The service is busy; nothing was changed. Retry in a moment."
# A dropped connection may have cut a commit short: the change is whole or absent, never half.
UNAVAILABLE_MESSAGE = "The database cannot be reached right now. Retry in a moment."
RETRY_AFTER_SECONDS = 1
# Messages of the token, depth and alias limiters (strawberry/graphql-core give them no code).
# They name no schema types, so they stay readable for anonymous callers in production too.
_LIMIT_MESSAGE = re.compile(
    r"Document contains more than \d+ tokens|exceeds maximum operation depth"
    r"|aliases found\. Allowed|Maximum introspection depth exceeded"
)


class PermissionDenied(GraphQLError):
    """Raised by ``@requires`` checks; already carries its code."""


class InputRefused(GraphQLError):
    """A request input refused at the edge (``graph.request_inputs``): BAD_USER_INPUT."""


def _located(error: GraphQLError, message: str, extensions: dict[str, Any]) -> GraphQLError:
    return GraphQLError(
        message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=None,
        extensions=extensions,
    )


def classify(error: GraphQLError, *, request_id: str, anonymous_detail: bool) -> GraphQLError:
    original = error.original_error
    if isinstance(original, DomainError):
        extensions: dict[str, Any] = {"code": original.code}
        if original.field:
            extensions["field"] = original.field
        if isinstance(original, AccountLocked):
            extensions["retryAfterSeconds"] = original.retry_after_seconds
        details = getattr(original, "details", None)  # e.g. the bookings a change would strand
        if isinstance(details, dict):
            extensions.update({k: v for k, v in details.items() if k not in extensions})
        return _located(error, original.message, extensions)
    if isinstance(original, GraphQLError) and (original.extensions or {}).get("code"):
        return _located(error, original.message, dict(original.extensions or {}))
    if original is not None and is_transient(original):
        # A lock wait ran out (after SQLite's own bounded retries) or PostgreSQL gave up on a
        # serialisation: the transaction rolled back, so the same request can simply be sent again.
        log.warning("database busy; answered SERVICE_UNAVAILABLE", extra={"path": error.path})
        return _located(
            error,
            BUSY_MESSAGE,
            {
                "code": "SERVICE_UNAVAILABLE",
                "retryable": True,
                "retryAfterSeconds": RETRY_AFTER_SECONDS,
                "requestId": request_id,
            },
        )
    if original is not None and is_unavailable(original):
        log.warning(
            "database unreachable; answered SERVICE_UNAVAILABLE", extra={"path": error.path}
        )
        return _located(error, UNAVAILABLE_MESSAGE, unavailable_extensions(request_id))
    if original is not None:
        log.error(
            "unhandled error in resolver",
            exc_info=(type(original), original, original.__traceback__),
            extra={"path": error.path},
        )
        return _located(
            error,
            INTERNAL_MESSAGE,
            {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id},
        )
    if error.extensions and error.extensions.get("code"):
        return error
    # Parse and validation errors come without an original error.
    if _LIMIT_MESSAGE.search(error.message):
        message = error.message.removeprefix("Syntax Error: ")
        return _located(error, message, {"code": "QUERY_TOO_COMPLEX"})
    code = "GRAPHQL_PARSE_FAILED" if error.message.startswith("Syntax Error") else None
    code = code or "GRAPHQL_VALIDATION_FAILED"
    message = error.message if anonymous_detail else "The query is not valid for this schema."
    if code == "GRAPHQL_PARSE_FAILED":
        message = error.message
    return _located(error, message, {"code": code})


def unavailable_extensions(request_id: str) -> dict[str, Any]:
    """What a client needs to retry when the database could not be reached."""
    return {
        "code": "SERVICE_UNAVAILABLE",
        "retryable": True,
        "retryAfterSeconds": RETRY_AFTER_SECONDS,
        "requestId": request_id,
    }


class ErrorCodes(SchemaExtension):
    """Gives every error a code, masks unexpected ones, hides schema detail from anonymous users."""

    def on_operation(self) -> Iterator[None]:
        yield
        result = self.execution_context.result
        if result is None or not result.errors:
            return
        context = self.execution_context.context
        request_id = getattr(context, "request_id", "-")
        principal = getattr(context, "principal", None)
        settings = getattr(context, "settings", None)
        anonymous_detail = bool(
            (principal is not None and principal.is_authenticated)
            or (settings is not None and not settings.is_production)
        )
        result.errors = distinct(
            classify(error, request_id=request_id, anonymous_detail=anonymous_detail)
            for error in result.errors
        )


def distinct(errors: Iterable[GraphQLError]) -> list[GraphQLError]:
    """One error per code, message and path: ten repeated unknown directives are one error.

    When an input was refused at the edge, those refusals are the answer: other validation
    errors about the same literal only quote the refused value back.
    """
    errors = list(errors)
    refused = [error for error in errors if isinstance(error, InputRefused)]
    errors = refused or errors
    seen: set[tuple[object, str, tuple[str | int, ...]]] = set()
    kept: list[GraphQLError] = []
    for error in errors:
        key = ((error.extensions or {}).get("code"), error.message, tuple(error.path or ()))
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept
