"""How ``aescrm serve`` (and the benchmarks, and the end-to-end tests) start uvicorn."""

from __future__ import annotations

from typing import Any

from graph.logs import logging_config

__all__ = ["WORKER_HEALTHCHECK_SECONDS", "uvicorn_options"]

WORKER_HEALTHCHECK_SECONDS = 30


def uvicorn_options(
    *,
    host: str,
    port: int,
    workers: int,
    access_log: bool,
    max_message_bytes: int,
    log_level: str = "INFO",
    graceful_shutdown_seconds: int | None = None,
    engine_shortcuts: bool = True,
    ws_compression: bool = False,
) -> dict[str, Any]:
    """Everything ``aescrm serve`` passes to ``uvicorn.run`` (benchmarks start it the same way).

    ``log_config`` is applied by uvicorn in the parent and again in every worker process, so all
    of them log JSON lines with request ids. A stopping worker answers what it has started within
    ``graceful_shutdown_seconds`` (then cancels what is left). ``max_message_bytes`` caps a
    WebSocket message like an HTTP body (``AESCRM_MAX_BODY_BYTES``): a larger one closes the
    socket with 1009 before it is buffered whole. Forwarded headers are handled by the app itself
    (``AESCRM_FORWARDED_ALLOW_IPS``), not by uvicorn. ``engine_shortcuts`` picks the lean
    WebSocket protocol (``AESCRM_ENGINE_SHORTCUTS``; see ``graph.engine``). ``ws_compression``
    (``AESCRM_WS_COMPRESSION``) accepts per-message deflate from clients that offer it.
    """
    ws = "LeanWebSocketProtocol" if engine_shortcuts else "WebSocketProtocol"
    return {
        "ws_max_size": max_message_bytes,
        "ws_per_message_deflate": ws_compression,
        "factory": True,
        "host": host,
        "port": port,
        "workers": workers,
        "log_config": logging_config(log_level, access_log=access_log),
        "access_log": access_log,
        "http": "graph.engine.http_protocol:HttpProtocol",
        "ws": f"graph.engine.ws_protocol:{ws}",
        "proxy_headers": False,
        "timeout_graceful_shutdown": graceful_shutdown_seconds,
        # A spawned worker answers the parent's health pings only once it has imported the app
        # (~1 s idle, over 5 s on a loaded 2-core box); with uvicorn's 5 s default the parent
        # killed and respawned slow starters forever and the server never came up.
        "timeout_worker_healthcheck": WORKER_HEALTHCHECK_SECONDS,
    }
