"""The GraphQL side of trusted documents: checking a document against the schema before it is
registered, and naming the refusals of a request (``services.trusted_documents.lookup``) as
GraphQL errors.

A document is checked as the server would check it on arrival, bar the size and cost limits
(those still apply each time it runs): it parses, and passes graphql-core's specified
validation rules against this schema. A registered document is thus known to run.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLError,
    GraphQLFormattedError,
    GraphQLSchema,
    parse,
    specified_rules,
    validate,
)
from strawberry import Schema
from strawberry.types import ExecutionResult

from graph.context import Context
from services.errors import DomainError
from services.trusted_documents import lookup
from services.trusted_documents.registry import Check


def schema_check(schema: Schema) -> Check:
    """A check of one document against ``schema``: its first problem, or None."""
    graphql_schema: GraphQLSchema = schema._schema

    def check(text: str) -> str | None:
        try:
            document = parse(text)
        except GraphQLError as error:
            return error.message
        problems = validate(graphql_schema, document, specified_rules, max_errors=1)
        return problems[0].message if problems else None

    return check


def _coded(error: DomainError) -> GraphQLError:
    extensions: dict[str, object] = {"code": error.code}
    if error.field:
        extensions["field"] = error.field
    return GraphQLError(error.message, extensions=extensions)


def refusal(error: DomainError) -> ExecutionResult:
    """A refusal before execution (HTTP) as an answer with no data and one coded error."""
    return ExecutionResult(data=None, errors=[_coded(error)])


def socket_refusal(error: DomainError) -> GraphQLFormattedError:
    """The same refusal as a WebSocket ``error`` message's error."""
    return _coded(error).formatted


async def payload_to_run(context: Context, payload: Mapping[str, Any]) -> Mapping[str, Any]:
    """A WebSocket subscribe payload with the text to run as its ``query`` (raises the
    refusals of ``services.trusted_documents.lookup``). A partner app's flag and documents
    version are re-read: the socket's principal is as old as the socket."""
    query = payload.get("query")
    text = await lookup.text_to_run(
        await lookup.refreshed(context.principal),
        query=query,
        document_id=payload.get("documentId"),
        extensions=payload.get("extensions"),
        first_party=context.settings.trusted_documents_first_party,
    )
    return payload if text is query else {**payload, "query": text}


__all__ = ["payload_to_run", "refusal", "schema_check", "socket_refusal"]
