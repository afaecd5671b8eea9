"""``create_app(settings)``: routes, lifespan and middleware of the AES CRM server."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import TYPE_CHECKING

from opentelemetry.sdk.trace.export import SpanExporter
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL, GRAPHQL_WS_PROTOCOL
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from db import statement_meter, uow
from db.config import close_database, open_database
from graph import (
    allocator,
    calendar_routes,
    document_routes,
    invoice_routes,
    message_routes,
    oauth_routes,
    report_routes,
    webhook_routes,
)
from graph.board_page import board_routes
from graph.budgets import Budgets
from graph.graphiql import assets_mount
from graph.message_routes import SMS_STATUS_PATH
from graph.middleware import BodyLimit, RateLimit, RequestId
from graph.observability import exposition, refresher
from graph.observability.tracing import build_tracing
from graph.rate_limits import build_limiter
from graph.readiness import database_ok
from graph.release import VERSION
from graph.schema import build_schema
from graph.settings import (
    Settings,
    document_store,
    jobs_config,
    load_settings,
    service_config,
)
from graph.view import GraphQLEndpoint
from realtime.bus import Bus
from realtime.pipeline import Pipeline
from services import key_presence, runtime, watch_access
from services.auth.sessions import authenticate_token
from services.auth.tokens import verified_subject
from services.billing import processor
from services.billing.stripe_provider import StripeConfig, StripeProvider
from services.documents import stores as document_stores
from services.jobs import config as job_config
from services.jobs.worker import Worker
from services.messaging import channels
from services.webhooks import fanout as webhook_fanout

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("aescrm.app")
# A request allocates a few thousand container objects (a 300-appointment board ~3,000) and frees
# them at its end; with the default 700 the collector ran ~4 times per board request.
GC_YOUNG_THRESHOLD = 10_000
# Liveness names the running release, so an operator sees what a rollout has reached.
HEALTHY = {"status": "ok", "version": VERSION}


def payment_processor(settings: Settings) -> StripeProvider | None:
    """Stripe when a secret key is configured; otherwise no online card payments."""
    if settings.stripe_secret_key is None:
        return None
    return StripeProvider(
        StripeConfig(
            secret_key=settings.stripe_secret_key.get_secret_value(),
            api_base=settings.stripe_api_base,
        )
    )


def messaging_config(settings: Settings) -> channels.MessagingConfig:
    """The transports the settings name (none: the development channel keeps messages)."""
    smtp = None
    if settings.smtp_host:
        smtp = channels.SmtpConfig(
            host=settings.smtp_host,
            port=settings.smtp_port,
            tls=settings.smtp_tls,
            username=settings.smtp_username,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout_seconds=settings.smtp_timeout_seconds,
            pool_size=settings.smtp_pool_size,
            messages_per_connection=settings.smtp_messages_per_connection,
            idle_seconds=settings.smtp_idle_seconds,
        )
    twilio = None
    public = (settings.public_url or f"http://{settings.host}:{settings.port}").rstrip("/")
    if settings.twilio_account_sid and settings.twilio_auth_token:
        twilio = channels.TwilioConfig(
            account_sid=settings.twilio_account_sid,
            auth_token=settings.twilio_auth_token.get_secret_value(),
            from_number=settings.twilio_from,
            api_base=settings.twilio_api_base or "https://api.twilio.com",
            status_callback_url=f"{public}{SMS_STATUS_PATH}" if settings.public_url else None,
        )
    return channels.MessagingConfig(
        production=settings.is_production,
        mail_from=settings.mail_from,
        public_url=public,
        smtp=smtp,
        twilio=twilio,
        secret_key=settings.secret_key,
    )


def create_app(
    settings: Settings | None = None, *, span_exporter: SpanExporter | None = None
) -> Starlette:
    """The app; ``span_exporter`` (tests) turns tracing on with that exporter."""
    settings = settings or load_settings()
    tracing = build_tracing(settings, span_exporter)
    if settings.metrics_enabled:
        statement_meter.install()
    runtime.configure(service_config(settings))
    job_config.configure(jobs_config(settings))
    document_stores.configure(document_store(settings))
    processor.configure(payment_processor(settings))
    channels.configure(messaging_config(settings))
    bus = Bus(settings.broadcast_url)
    limiter = build_limiter(
        settings.rate_limit_per_minute, settings.redis_url, settings.rate_limit_key_prefix
    )
    budgets = Budgets(settings)
    protocols = [GRAPHQL_TRANSPORT_WS_PROTOCOL]
    if settings.legacy_graphql_ws:
        protocols.append(GRAPHQL_WS_PROTOCOL)
    graphql = GraphQLEndpoint(
        settings=settings,
        authenticate=authenticate_token,
        budgets=budgets,
        schema=build_schema(settings, budgets, tracing.tracer if tracing else None),
        graphql_ide="graphiql" if settings.graphiql_enabled else None,
        allow_queries_via_get=settings.get_queries_enabled,
        subscription_protocols=protocols,
        connection_init_wait_timeout=timedelta(seconds=settings.ws_init_timeout_seconds),
        max_subscriptions_per_connection=settings.max_subscriptions_per_connection,
        allowed_origins=settings.allowed_origins,
        keep_alive=True,
        keep_alive_interval=15,
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if tracing is not None:
            tracing.start()
        await open_database(settings.database_url)
        await bus.connect()
        app.state.bus = bus
        pipeline = Pipeline(
            bus,
            authorise=watch_access.recheck,
            queue_size=settings.ws_queue_size,
            relay_enabled=settings.relay_enabled,
            poll_seconds=settings.relay_poll_seconds,
            grace_seconds=settings.relay_grace_seconds,
            lease_seconds=settings.relay_lease_seconds,
            bus_down_poll_seconds=settings.bus_down_poll_seconds,
            relay_key_prefix=settings.relay_key_prefix,
        )
        await pipeline.start()
        app.state.fanout = pipeline.fanout
        # Partner webhooks: each commit with events of interest enqueues their fan-out job.
        unhook_webhooks = uow.on_commit(webhook_fanout.nudge)
        # Re-reads the key store and tells the database which keys this process holds.
        keys = await key_presence.start("server", settings.key_reload_seconds)
        # The embedded runner (SQLite, `make run`): the same job table `aescrm worker` reads.
        jobs = Worker() if settings.jobs_run_in_process else None
        jobs_task = (
            asyncio.create_task(jobs.run(grace=settings.shutdown_grace_seconds)) if jobs else None
        )
        app.state.jobs = jobs
        gauges = (
            asyncio.create_task(
                refresher.refresh_forever(
                    pipeline.fanout,
                    graphql.sockets.open_count,
                    settings.metrics_refresh_seconds,
                )
            )
            if settings.metrics_enabled
            else None
        )
        # Freed heap pages go back to the system: a worker's size stays where its work puts it.
        trimming = allocator.keep_heap_small(settings.memory_trim_seconds)
        log.info("aescrm started", extra={"env": settings.env.value})
        # Start-up objects (schema, models, modules) live as long as the process: keep them out
        # of every collection (the cyclic GC was the largest single cost of a board request).
        thresholds = gc.get_threshold()
        gc.freeze()
        gc.set_threshold(GC_YOUNG_THRESHOLD, *thresholds[1:])
        try:
            yield
        finally:
            if jobs is not None and jobs_task is not None:
                jobs.stop()
                with contextlib.suppress(Exception):
                    await jobs_task
            await channels.close()
            await key_presence.stop(keys)  # deletes this process's row: it no longer counts
            for task in (gauges, trimming):
                if task is not None:
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
            gc.set_threshold(*thresholds)
            gc.unfreeze()
            unhook_webhooks()
            await pipeline.stop()  # subscribers get 1001 before the bus and database go
            await bus.disconnect()
            await limiter.close()
            await budgets.close()
            await document_stores.close()
            await close_database()
            if tracing is not None:
                tracing.stop()
            exposition.process_exited()

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse(HEALTHY)

    async def readyz(_: Request) -> JSONResponse:
        # The API serves without the bus (feeds poll the event table meanwhile): a Redis blip
        # must not take every worker out of the load balancer, so only the database fails it.
        database = await database_ok(settings.database_url)
        bus_ok = bus.up and await bus.ping()  # no connect attempt while the listener is down
        status = "unavailable" if not database else "ok" if bus_ok else "degraded"
        body = {"status": status, "database": database, "bus": bus_ok}
        return JSONResponse(body, 200 if database else 503)

    routes = [
        Route("/graphql", graphql, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql),
        Route("/healthz", healthz),
        Route("/readyz", readyz),
        *oauth_routes.routes,
        *document_routes.routes,
        *invoice_routes.routes,
        *report_routes.routes,
        *calendar_routes.routes,
        *webhook_routes.routes,
        *message_routes.routes,
    ]
    if settings.metrics_enabled:
        routes.append(Route(exposition.METRICS_PATH, exposition.metrics_endpoint(settings)))
    if settings.graphiql_enabled:
        routes.append(assets_mount())
    routes += board_routes(settings)  # the live reception board page, development only
    middleware = [
        # Tracing on: the server span encloses everything, refusals by the middleware included.
        *([tracing.middleware()] if tracing is not None else []),
        # Behind a trusted proxy the client address (rate limits, socket caps, audit rows, login
        # throttles) and scheme come from its X-Forwarded-* headers; from anyone else, never.
        *(
            [Middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)]
            if settings.forwarded_allow_ips
            else []
        ),
        Middleware(RequestId),
        # Browser clients on the allowed origins (the WebSocket origin check's list); outside the
        # rate limit so that a 429 still reaches the page. Bearer tokens only: no credentials.
        Middleware(
            CORSMiddleware,
            allow_origins=settings.allowed_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["authorization", "content-type", "accept", "x-request-id"],
            expose_headers=["x-request-id", "retry-after", "ratelimit", "ratelimit-policy"],
            max_age=600,
        ),
        Middleware(RateLimit, limiter=limiter, identify=verified_subject),
        Middleware(
            BodyLimit,
            max_bytes=settings.max_body_bytes,
            # Uploads have their own cap; the route counts the bytes as they arrive.
            larger={
                document_routes.UPLOAD_PATH: settings.max_upload_bytes,
                webhook_routes.STRIPE_PATH: webhook_routes.OUTER_CAP_BYTES,
            },
        ),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan)
    app.state.settings = settings
    app.state.rate_limiter = limiter
    app.state.budgets = budgets
    return app
