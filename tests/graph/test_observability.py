"""Metrics and traces in process: who may read /metrics, what an operation records, and the
spans tracing gives (and, off by default, that it adds nothing)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.sdk.trace.export import SpanExporter
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import REGISTRY

from graph.app import create_app
from graph.observability import operations
from graph.settings import Environment, Settings
from services.policy import Role
from tests import factories
from tests.conftest import make_settings
from tests.graph.test_production_surface import production_settings
from tests.sql_counter import count_statements

LOOPBACK = ("127.0.0.1", 40000)
OFFICE = ("203.0.113.7", 5555)
TOKEN = "m" * 40
PRACTICES = "query Practices { practices { id name } }"


@asynccontextmanager
async def serve(
    settings: Settings, peer: tuple[str, int] = LOOPBACK, exporter: SpanExporter | None = None
) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(settings, span_exporter=exporter)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=peer)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
            yield http


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def staff_token() -> str:
    practice = await factories.practice()
    return factories.access_token(await factories.user(Role.PRACTICE_ADMIN, practice))


async def test_development_metrics_answer_loopback_callers_only(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    async with serve(settings, LOOPBACK) as local:
        response = await local.get("/metrics")
        assert response.status_code == 200
        assert "aescrm_graphql_operations_total" in response.text
    async with serve(settings, OFFICE) as remote:
        response = await remote.get("/metrics")
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.mark.parametrize(
    ("token", "headers", "status"),
    [
        (None, {}, 401),  # production without a token: nobody, loopback included
        (TOKEN, {}, 401),
        (TOKEN, {"authorization": "Bearer " + "x" * 40}, 401),
        (TOKEN, {"authorization": f"Bearer {TOKEN}"}, 200),
    ],
)
async def test_production_metrics_need_the_bearer_token(
    database_url: str, tmp_path: Path, token: str | None, headers: dict[str, str], status: int
) -> None:
    settings = production_settings(database_url, tmp_path, metrics_token=token)
    async with serve(settings, LOOPBACK) as http:
        response = await http.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 401:
        assert "aescrm_" not in response.text


def test_a_short_metrics_token_is_refused_in_production() -> None:
    settings = Settings(env=Environment.PRODUCTION, metrics_token="short")
    assert any("AESCRM_METRICS_TOKEN" in p for p in settings.production_problems())


async def test_an_operation_is_counted_by_name_outcome_errors_and_statements(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(database_url, tmp_path)
    async with serve(settings) as http:
        token = await staff_token()
        ok = sample("aescrm_graphql_operations_total", operation="Practices", outcome="ok")
        bad_input = sample("aescrm_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED")
        statements = sample("aescrm_sql_statements_per_operation_sum")
        with count_statements(monkeypatch) as sent:
            response = await factories.gql(http, PRACTICES, token=token)
        assert response.status == 200
        assert "errors" not in response.body
        await factories.gql(http, "query Practices { nope }", token=token)

        assert (
            sample("aescrm_graphql_operations_total", operation="Practices", outcome="ok") == ok + 1
        )
        assert (
            sample(
                "aescrm_graphql_operations_total",
                operation="Practices",
                outcome="GRAPHQL_VALIDATION_FAILED",
            )
            >= 1
        )
        assert sample("aescrm_graphql_errors_total", code="GRAPHQL_VALIDATION_FAILED") == (
            bad_input + 1
        )
        # the operation's statements, not the token check's before it
        counted = sample("aescrm_sql_statements_per_operation_sum") - statements
        assert 1 <= counted <= len(sent)


async def test_client_chosen_operation_names_are_capped(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(operations, "MAX_OPERATION_NAMES", 2)
    monkeypatch.setattr(operations, "_names", set())
    monkeypatch.setattr(operations, "_children", {})
    others = sample("aescrm_graphql_operations_total", operation="other", outcome="ok")
    async with serve(make_settings(database_url, tmp_path)) as http:
        for name in ("CapA", "CapB", "CapC", "CapD"):
            await factories.gql(http, f"query {name} {{ __typename }}")
    assert sample("aescrm_graphql_operations_total", operation="CapB", outcome="ok") >= 1
    assert sample("aescrm_graphql_operations_total", operation="CapC", outcome="ok") == 0
    assert sample("aescrm_graphql_operations_total", operation="other", outcome="ok") == (
        others + 2
    )


async def test_tracing_gives_one_operation_span_and_a_span_per_sql_statement(
    backend: str, database_url: str, tmp_path: Path
) -> None:
    exporter = InMemorySpanExporter()
    async with serve(make_settings(database_url, tmp_path), exporter=exporter) as http:
        token = await staff_token()
        exporter.clear()
        response = await factories.gql(http, PRACTICES, token=token)
        assert "errors" not in response.body

    spans = exporter.get_finished_spans()
    operation = [s for s in spans if s.name == "query Practices"]
    assert len(operation) == 1, [s.name for s in spans]
    attributes: Any = operation[0].attributes
    assert attributes["graphql.operation.name"] == "Practices"
    server = [s for s in spans if s.name == "POST /graphql"]
    assert len(server) == 1
    assert operation[0].parent is not None
    assert operation[0].parent.span_id == server[0].context.span_id
    sql = [s for s in spans if (s.attributes or {}).get("db.system") == "postgresql"]
    if backend == "postgres":
        inside = [s for s in sql if s.parent and s.parent.span_id == operation[0].context.span_id]
        assert inside, [s.name for s in spans]
        for span in sql:  # statement text only, never the values bound to it
            assert not any("parameters" in key for key in (span.attributes or {}))
    else:
        assert sql == []  # no maintained aiosqlite instrumentation: SQLite has no SQL spans
    assert not AsyncPGInstrumentor().is_instrumented_by_opentelemetry  # off after the lifespan


async def test_tracing_is_off_by_default_and_adds_nothing(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path)
    assert settings.tracing_exporter == "none"
    app = create_app(settings)
    assert not any(m.cls is OpenTelemetryMiddleware for m in app.user_middleware)
    async with app.router.lifespan_context(app):
        assert not AsyncPGInstrumentor().is_instrumented_by_opentelemetry
    graphql = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    extensions = graphql.endpoint.schema.extensions  # type: ignore[attr-defined]
    names = {getattr(e, "__name__", type(e).__name__) for e in extensions}
    assert "OperationSpan" not in names
    assert "OperationMetrics" in names


async def test_metrics_off_adds_no_route_and_no_extension(
    database_url: str, tmp_path: Path
) -> None:
    settings = make_settings(database_url, tmp_path, metrics_enabled=False)
    async with serve(settings) as http:
        assert (await http.get("/metrics")).status_code == 404
    app = create_app(settings)
    graphql = next(r for r in app.routes if getattr(r, "path", "") == "/graphql")
    extensions = graphql.endpoint.schema.extensions  # type: ignore[attr-defined]
    assert "OperationMetrics" not in {getattr(e, "__name__", "") for e in extensions}
