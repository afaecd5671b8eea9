"""OpenTelemetry traces, off unless ``AESCRM_TRACING_EXPORTER`` names an exporter.

On, a request has a server span from the maintained ASGI middleware, a span per GraphQL
operation (``operations.operation_span``) and a span per SQL statement on PostgreSQL from the
maintained asyncpg instrumentation (statement text only: parameters, which may be patient data,
are never captured). SQLite statements have no spans (no maintained instrumentation for
aiosqlite, and SQLite is for development).

The provider is the app's own, not the process-global one, so tests can run apps with
different exporters one after another; the asyncpg instrumentation is process-wide, switched
on for the app's lifespan and off after it. Off, none of this is imported into the request
path: no middleware, no extension, asyncpg untouched, and the SDK not even imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from graph.release import VERSION
from graph.settings import Settings

if TYPE_CHECKING:  # the SDK is imported only when tracing is on
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer
    from starlette.middleware import Middleware

__all__ = ["Tracing", "build_tracing"]

SERVICE_NAME = "aescrm"


@dataclass
class Tracing:
    provider: TracerProvider

    @property
    def tracer(self) -> Tracer:
        return self.provider.get_tracer("aescrm.graphql", VERSION)

    def middleware(self) -> Middleware:
        from opentelemetry.instrumentation.asgi import OpenTelemetryMiddleware
        from starlette.middleware import Middleware

        # One server span per request or socket; no span per ASGI message sent or received.
        return Middleware(
            OpenTelemetryMiddleware,
            tracer_provider=self.provider,
            exclude_spans=["receive", "send"],
        )

    def start(self) -> None:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().instrument(  # type: ignore[no-untyped-call]
            tracer_provider=self.provider
        )

    def stop(self) -> None:
        from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor

        AsyncPGInstrumentor().uninstrument()  # type: ignore[no-untyped-call]
        self.provider.shutdown()


def build_tracing(settings: Settings, exporter: SpanExporter | None = None) -> Tracing | None:
    """The app's tracing, or None (off); ``exporter`` (tests) overrides the settings' choice
    and is fed span by span instead of in batches."""
    if exporter is None and settings.tracing_exporter == "none":
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
    from opentelemetry.sdk.trace.export import (
        BatchSpanProcessor,
        ConsoleSpanExporter,
        SimpleSpanProcessor,
    )

    processor: SpanProcessor
    if exporter is not None:
        processor = SimpleSpanProcessor(exporter)
    elif settings.tracing_exporter == "console":
        processor = BatchSpanProcessor(ConsoleSpanExporter())
    elif settings.tracing_exporter == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        processor = BatchSpanProcessor(OTLPSpanExporter(endpoint=settings.tracing_otlp_endpoint))
    else:
        return None
    provider = TracerProvider(
        resource=Resource.create({"service.name": SERVICE_NAME, "service.version": VERSION})
    )
    provider.add_span_processor(processor)
    return Tracing(provider)
