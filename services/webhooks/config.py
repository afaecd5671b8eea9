"""Webhook delivery settings: from the service configuration (``services.runtime``, set from
the validated settings by the server, the CLI and the worker alike), or a test's override."""

from __future__ import annotations

from dataclasses import dataclass

from services import runtime

MAX_ATTEMPTS = 8  # per delivery; the job runner retries with exponential backoff and jitter


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    # Test-only: lets endpoints target loopback addresses over plain http (the tests' local
    # receiver). graph/settings.py refuses it in production.
    allow_loopback: bool = False
    timeout_seconds: float = 10.0
    disable_after: int = 15  # consecutive failed attempts before the endpoint is disabled
    max_attempts: int = MAX_ATTEMPTS


_override: WebhookConfig | None = None


def override(config: WebhookConfig | None) -> None:
    """Tests: use ``config`` instead of the service configuration (None: stop)."""
    global _override
    _override = config


def current() -> WebhookConfig:
    if _override is not None:
        return _override
    try:
        service = runtime.config()
    except RuntimeError:  # not configured (a bare import): the safe defaults
        return WebhookConfig()
    return WebhookConfig(
        allow_loopback=service.webhook_allow_loopback and not service.production,
        timeout_seconds=service.webhook_timeout_seconds,
        disable_after=service.webhook_disable_after,
    )


__all__ = ["MAX_ATTEMPTS", "WebhookConfig", "current", "override"]
