"""Where Prometheus reads the series: ``/metrics`` on the API port, or a port of its own.

``/metrics`` answers a request carrying ``Authorization: Bearer <AESCRM_METRICS_TOKEN>``; with
no token configured it answers only loopback callers in development, and nobody in production
(401, like a wrong token). ``AESCRM_METRICS_PORT`` instead serves the series without a token
from ``aescrm serve``'s own process on ``AESCRM_METRICS_HOST`` (loopback by default: the
network decides who reaches it).

Several workers (``aescrm serve --workers N``) cannot each answer for the others, so the serve
command gives them one directory (``PROMETHEUS_MULTIPROC_DIR``, emptied at start) where each
process writes its values; whichever process answers a scrape adds the files up. One worker
keeps its values in memory and answers from them.
"""

from __future__ import annotations

import hmac
import os
import shutil
from collections.abc import Awaitable, Callable
from pathlib import Path

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    start_http_server,
)
from starlette.requests import Request
from starlette.responses import Response

from graph.middleware import error_body
from graph.settings import Settings

__all__ = [
    "METRICS_PATH",
    "MULTIPROCESS_ENV",
    "metrics_endpoint",
    "prepare_multiprocess",
    "process_exited",
    "serve_metrics_port",
]

METRICS_PATH = "/metrics"
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def prepare_multiprocess(settings: Settings, workers: int) -> Path | None:
    """Before uvicorn starts N > 1 workers: an empty shared directory, named in the environment
    the spawned workers inherit (they import ``prometheus_client`` only after this)."""
    if not settings.metrics_enabled or workers <= 1:
        return None
    folder = Path(os.environ.get(MULTIPROCESS_ENV) or settings.var_dir / "prometheus")
    shutil.rmtree(folder, ignore_errors=True)  # values of a previous run are not this run's
    folder.mkdir(parents=True)
    os.environ[MULTIPROCESS_ENV] = str(folder)
    return folder


def _registry() -> CollectorRegistry:
    if os.environ.get(MULTIPROCESS_ENV):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return registry
    return REGISTRY


def process_exited() -> None:
    """A stopping worker's live gauges leave the sums (its counters stay counted)."""
    if os.environ.get(MULTIPROCESS_ENV):
        multiprocess.mark_process_dead(os.getpid())  # type: ignore[no-untyped-call]


def serve_metrics_port(settings: Settings) -> None:
    """The separate metrics port, from the serve command's process (a daemon thread)."""
    if settings.metrics_enabled and settings.metrics_port is not None:
        start_http_server(settings.metrics_port, settings.metrics_host, registry=_registry())


def _allowed(request: Request, settings: Settings) -> bool:
    token = settings.metrics_token
    if token is not None:
        header = request.headers.get("authorization", "")
        given = header[7:].strip() if header[:7].lower() == "bearer " else ""
        return hmac.compare_digest(given.encode(), token.get_secret_value().encode())
    client = request.client.host if request.client else ""
    return not settings.is_production and client in _LOOPBACK


def metrics_endpoint(settings: Settings) -> Callable[[Request], Awaitable[Response]]:
    async def metrics(request: Request) -> Response:
        if not _allowed(request, settings):
            return Response(
                error_body("UNAUTHENTICATED", "A metrics token is required."),
                status_code=401,
                media_type="application/json",
                headers={"cache-control": "no-store", "www-authenticate": "Bearer"},
            )
        body = generate_latest(_registry())
        return Response(body, media_type=CONTENT_TYPE_LATEST, headers={"cache-control": "no-store"})

    return metrics
