"""Attacks on the GraphQL surface: each is refused with a stable code and the server keeps serving.

Most attacks run against the real app. Where the real schema has no field deep or wide enough yet
(depth, list cost, a resolver that fails), the app is built around a small test schema that uses
the same hardening extensions (``graph.schema.extensions_for``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from unittest.mock import patch

import httpx
import pytest
import strawberry
from graphql import build_schema as build_sdl_schema
from graphql import parse, validate
from opentelemetry.trace import Tracer
from starlette.types import Message

from graph.app import create_app
from graph.budgets import Budgets
from graph.errors import INTERNAL_MESSAGE
from graph.limits import cost_rule, max_directives_rule
from graph.logs import RequestIdFilter
from graph.release import VERSION
from graph.schema import AescrmSchema, extensions_for
from graph.settings import Settings
from tests.conftest import make_settings
from tests.factories import gql

PING = "{ ping }"
SECRET = "Alice Example, NHS 943 476 5919"  # what a careless exception message might carry


# --- a small schema with a recursive list type and a failing field ----------------------------


@strawberry.type
class Node:
    name: str = "node"

    @strawberry.field
    def children(self, first: int = 10) -> list[Node]:
        return [Node() for _ in range(min(first, 2))]


@strawberry.type
class Query:
    @strawberry.field
    def ping(self) -> bool:
        return True

    @strawberry.field
    def nodes(self, first: int = 10) -> list[Node]:
        return [Node() for _ in range(min(first, 2))]

    @strawberry.field
    def boom(self) -> str | None:
        raise RuntimeError(f"database exploded while reading {SECRET}")


def test_schema(
    settings: Settings, budgets: Budgets | None, tracer: Tracer | None
) -> strawberry.Schema:
    return AescrmSchema(query=Query, extensions=extensions_for(settings, budgets, tracer))


test_schema.__test__ = False  # type: ignore[attr-defined]  # a builder, not a pytest test


@asynccontextmanager
async def serve(
    settings: Settings,
    *,
    schema: Callable[[Settings, Budgets | None, Tracer | None], strawberry.Schema] | None = None,
    client: tuple[str, int] = ("203.0.113.9", 4000),
) -> AsyncIterator[httpx.AsyncClient]:
    """The real app (middleware, view, lifespan) optionally around another schema."""
    if schema is None:
        app = create_app(settings)
    else:
        with patch("graph.app.build_schema", schema):
            app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=client)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


@pytest.fixture
async def test_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(settings, schema=test_schema) as http:
        yield http


async def still_serving(client: httpx.AsyncClient) -> None:
    result = await gql(client, PING)
    assert result.status == 200
    assert result.data == {"ping": True}


def nested(field: str, depth: int, leaf: str = "name") -> str:
    return f"{field} {{ " * depth + leaf + " }" * depth


# --- depth ----------------------------------------------------------------------------------


async def test_fifty_deep_query_is_refused(test_client: httpx.AsyncClient) -> None:
    query = "{ nodes { " + nested("children", 49) + " } }"
    result = await gql(test_client, query)
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert "exceeds maximum operation depth of 10" in result.errors[0]["message"]
    await still_serving(test_client)


async def test_fifty_deep_query_through_fragments_is_refused(
    test_client: httpx.AsyncClient,
) -> None:
    fragments = " ".join(
        f"fragment F{i} on Node {{ children {{ ...F{i + 1} }} }}" for i in range(49)
    )
    query = f"query Deep {{ nodes {{ ...F0 }} }} {fragments} fragment F49 on Node {{ name }}"
    result = await gql(test_client, query)
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"] == "'Deep' exceeds maximum operation depth of 10"
    await still_serving(test_client)


async def test_deep_query_on_the_real_schema_is_refused(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ practices { " + nested("a", 49) + " } }")
    assert result.data is None
    assert "QUERY_TOO_COMPLEX" in result.codes
    await still_serving(client)


async def test_deep_introspection_is_refused(client: httpx.AsyncClient) -> None:
    query = "{ __schema { types { " + "fields { type { " * 12 + "name" + " } }" * 12 + " } } }"
    result = await gql(client, query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    await still_serving(client)


# --- aliases ---------------------------------------------------------------------------------


async def test_thousand_aliases_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: ping" for i in range(1000)) + " }"
    result = await gql(client, query)
    assert result.data is None
    # 3,000 tokens: the token limit stops it while parsing, before the alias rule would.
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"].startswith("Document contains more than 2000 tokens")
    await still_serving(client)


async def test_aliases_over_the_limit_are_refused(client: httpx.AsyncClient) -> None:
    query = "{ " + " ".join(f"a{i}: ping" for i in range(100)) + " }"
    result = await gql(client, query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"] == "100 aliases found. Allowed: 30"
    await still_serving(client)


async def test_aliases_multiplied_through_fragment_spreads_are_refused(
    client: httpx.AsyncClient,
) -> None:
    fragment = "fragment F on Query { " + " ".join(f"a{i}: ping" for i in range(5)) + " }"
    query = "query { " + " ".join(["...F"] * 10) + " } " + fragment
    result = await gql(client, query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"] == "50 aliases found. Allowed: 30"
    await still_serving(client)


# --- fragments and directives ----------------------------------------------------------------


async def test_circular_fragments_answer_fast_with_a_validation_error(
    client: httpx.AsyncClient,
) -> None:
    query = (
        "query { ...A } fragment A on Query { ping ...B } "
        "fragment B on Query { ping ...C } fragment C on Query { ping ...A }"
    )
    started = time.monotonic()
    result = await gql(client, query)
    elapsed = time.monotonic() - started
    assert result.data is None
    assert set(result.codes) == {"GRAPHQL_VALIDATION_FAILED"}
    assert "Cannot spread fragment 'A' within itself" in result.errors[0]["message"]
    assert elapsed < 2.0  # generous: it answers in milliseconds
    await still_serving(client)


async def test_ten_repeated_directives_on_one_field_are_refused(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ ping" + " @include(if: true)" * 10 + " }")
    assert result.data is None
    assert result.codes == ["GRAPHQL_VALIDATION_FAILED"]  # nine identical errors are one
    assert "can only be used once at this location" in result.errors[0]["message"]
    await still_serving(client)


async def test_ten_thousand_directives_are_one_cheap_error(client: httpx.AsyncClient) -> None:
    result = await gql(client, "{ ping" + " @include(if: true)" * 10_000 + " }")
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"]  # the token limit aborts the parse
    await still_serving(client)


async def test_directives_over_the_document_limit_are_refused(client: httpx.AsyncClient) -> None:
    # Under the token limit, one directive per inline fragment (no duplicates): the directive rule.
    query = "{ " + " ".join(["... @include(if: true) { ping }"] * 25) + " }"
    result = await gql(client, query)
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["message"] == "Too many directives in the document (limit 20)."
    await still_serving(client)


def test_directive_rule_counts_every_directive() -> None:
    schema = build_sdl_schema("type Query { ping: Boolean }")
    document = parse("{ " + " ".join(["... @skip(if: false) { ping }"] * 4) + " }")
    assert validate(schema, document, [max_directives_rule(4)]) == []
    errors = validate(schema, document, [max_directives_rule(3)])
    assert [e.extensions for e in errors] == [{"code": "QUERY_TOO_COMPLEX"}]


# --- sizes -----------------------------------------------------------------------------------


async def test_two_megabyte_query_is_refused_before_parsing(client: httpx.AsyncClient) -> None:
    query = "{ ping " + "a: ping " * (2 * 1024 * 1024 // 8) + "}"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    await still_serving(client)


async def test_ten_megabytes_of_variables_are_refused(client: httpx.AsyncClient) -> None:
    variables = {"blob": "x" * (10 * 1024 * 1024)}
    response = await client.post("/graphql", json={"query": PING, "variables": variables})
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    await still_serving(client)


async def test_hundred_thousand_ids_in_variables_are_refused(client: httpx.AsyncClient) -> None:
    ids = [f"00000000-0000-4000-8000-{i:012d}" for i in range(100_000)]
    response = await client.post("/graphql", json={"query": PING, "variables": {"ids": ids}})
    assert response.status_code == 413
    await still_serving(client)


async def test_body_larger_than_declared_is_refused(client: httpx.AsyncClient) -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"query": "{ ping }", "pad": "'
        for _ in range(64):
            yield b"x" * 65536
        yield b'"}'

    response = await client.post(
        "/graphql", content=chunks(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
    await still_serving(client)


async def test_two_megabyte_get_query_string_is_refused(settings: Settings) -> None:
    app = create_app(settings)
    # httpx refuses to build such a URL, so the request is spoken in raw ASGI.
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "root_path": "",
        "query_string": b"query=%7Bping%7D" + b"%20" * (2 * 1024 * 1024),
        "headers": [(b"host", b"testserver")],
        "client": ("203.0.113.9", 4000),
        "server": ("testserver", 80),
    }
    sent: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    async with app.router.lifespan_context(app):
        await app(scope, receive, send)
        assert sent[0]["status"] == 414
        assert b'"code":"URI_TOO_LONG"' in sent[1]["body"]
        transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            await still_serving(http)


# --- cost ------------------------------------------------------------------------------------

COST_SDL = """
type Node { name: String children(first: Int): [Node] }
type Query { nodes(first: Int): [Node] ping: Boolean }
"""


def cost_errors(document: str, limit: int = 5000, max_page: int = 100) -> list[Any]:
    schema = build_sdl_schema(COST_SDL)
    return validate(schema, parse(document), [cost_rule(limit, max_page)])


def test_cost_multiplies_nested_page_sizes() -> None:
    # 1 + 100 (children) + 100*100 (names)
    errors = cost_errors("{ nodes(first: 100) { children(first: 100) { name } } }")
    assert [e.extensions for e in errors] == [{"code": "QUERY_TOO_COMPLEX", "cost": 10101}]
    assert cost_errors("{ nodes(first: 10) { children(first: 10) { name } } }") == []


def test_huge_first_is_clamped_to_the_page_size_not_trusted() -> None:
    assert cost_errors("{ nodes(first: 99999999) { name } }") == []  # 1 + 100: clamped
    errors = cost_errors("{ nodes(first: 99999999) { children(first: 99999999) { name } } }")
    assert errors[0].extensions == {"code": "QUERY_TOO_COMPLEX", "cost": 10101}


def test_page_size_in_a_variable_counts_as_the_maximum() -> None:
    document = "query($n: Int) { nodes(first: $n) { children(first: $n) { name } } }"
    assert cost_errors(document)[0].extensions["code"] == "QUERY_TOO_COMPLEX"


def test_cost_is_counted_through_fragments_and_survives_cycles() -> None:
    document = (
        "{ nodes(first: 100) { ...F } } fragment F on Node { children(first: 100) { ...G } } "
        "fragment G on Node { name ...F }"
    )
    errors = cost_errors(document)
    assert errors[0].extensions["code"] == "QUERY_TOO_COMPLEX"


async def test_nested_list_cost_is_refused_by_the_app(test_client: httpx.AsyncClient) -> None:
    query = "{ nodes(first: 100) { children(first: 100) { children(first: 99999999) { name } } } }"
    result = await gql(test_client, query)
    assert result.data is None
    assert result.codes == ["QUERY_TOO_COMPLEX"]
    assert result.errors[0]["extensions"]["cost"] > 5000
    await still_serving(test_client)
    cheap = await gql(test_client, "{ nodes(first: 2) { children(first: 2) { name } } }")
    assert cheap.errors == []


# --- unexpected errors -----------------------------------------------------------------------


async def test_unexpected_exception_is_masked_and_logged_with_the_request_id(
    test_client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    request_id = "hardening0123456789"
    caplog.handler.addFilter(RequestIdFilter())
    try:
        with caplog.at_level(logging.ERROR, logger="aescrm.errors"):
            response = await test_client.post(
                "/graphql",
                json={"query": "{ ping boom }"},
                headers={"x-request-id": request_id},
            )
    finally:
        caplog.handler.filters.clear()
    body = response.json()
    assert response.status_code == 200
    assert body["data"] == {"ping": True, "boom": None}
    [error] = body["errors"]
    assert error["message"] == INTERNAL_MESSAGE
    assert error["path"] == ["boom"]
    assert error["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    assert response.headers["x-request-id"] == request_id
    for leak in ("Traceback", "RuntimeError", "exploded", SECRET, "exception"):
        assert leak not in response.text
    [record] = [r for r in caplog.records if r.name == "aescrm.errors"]
    assert record.levelno == logging.ERROR
    assert getattr(record, "request_id", None) == request_id
    assert record.exc_info is not None
    assert record.exc_info[0] is RuntimeError
    assert "Traceback" in caplog.text
    assert SECRET in caplog.text  # full detail stays in the server log
    await still_serving(test_client)


async def test_masking_in_isolation_with_the_schema_extensions(settings: Settings) -> None:
    class Ctx:
        request_id = "isolated01"
        settings = None
        principal = None

    Ctx.settings = settings  # type: ignore[assignment]
    result = await test_schema(settings, None, None).execute("{ boom }", context_value=Ctx())
    assert result.errors is not None
    [error] = result.errors
    assert error.message == INTERNAL_MESSAGE
    assert error.extensions == {"code": "INTERNAL_SERVER_ERROR", "requestId": "isolated01"}
    assert error.original_error is None


# --- rate limits and request ids -------------------------------------------------------------


async def test_rate_limit_answers_429_with_retry_after(database_url: str, tmp_path: Path) -> None:
    settings = make_settings(database_url, tmp_path, rate_limit_per_minute=2)
    async with serve(settings, client=("198.51.100.20", 1000)) as limited:
        assert (await gql(limited, PING)).status == 200
        assert (await gql(limited, PING)).status == 200
        response = await limited.post("/graphql", json={"query": PING})
        assert response.status_code == 429
        assert response.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
        assert int(response.headers["retry-after"]) >= 1
        assert (await limited.get("/healthz")).status_code == 200  # probes are never limited
        junk = await limited.post(
            "/graphql", json={"query": PING}, headers={"authorization": "Bearer other-client"}
        )
        assert junk.status_code == 429  # a token that does not verify is the address's


async def test_a_sane_request_id_is_honoured(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/graphql", json={"query": PING}, headers={"x-request-id": "ClientChosen42"}
    )
    assert response.headers["x-request-id"] == "ClientChosen42"


@pytest.mark.parametrize(
    "supplied", ["short", "has spaces in it", "x" * 65, "semi;colon;id", "../../etc/passwd"]
)
async def test_an_unsafe_request_id_is_replaced(client: httpx.AsyncClient, supplied: str) -> None:
    response = await client.post(
        "/graphql", json={"query": PING}, headers={"x-request-id": supplied}
    )
    generated = response.headers["x-request-id"]
    assert generated != supplied
    assert len(generated) == 32
    assert generated.isalnum()


async def test_a_request_id_is_generated_when_absent(client: httpx.AsyncClient) -> None:
    first = (await client.post("/graphql", json={"query": PING})).headers["x-request-id"]
    second = (await client.post("/graphql", json={"query": PING})).headers["x-request-id"]
    assert len(first) == 32
    assert first != second


async def test_no_tracing_extensions_in_responses(client: httpx.AsyncClient) -> None:
    body = (await client.post("/graphql", json={"query": PING})).json()
    assert body == {"data": {"ping": True}, "extensions": {"version": VERSION}}  # the version only
