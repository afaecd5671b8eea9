"""Job kinds and their handlers: ``@job_handler("kind")`` registers a coroutine for a kind.

Handlers must be idempotent. A job runs at least once and, in effect, once: the runner never
marks a job DONE twice, but a worker that dies mid-handler (or whose lease runs out) leaves the
job to be claimed again, so the handler may run again for the same job. Use the job's key
(``services.jobs.runner.current_job()``) or a natural key of the effect (a message row unique
per appointment and template) to make a second run change nothing.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

Handler = Callable[[dict[str, Any]], Awaitable[None]]

DEFAULT_MAX_ATTEMPTS = 8
KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*$")


@dataclass(frozen=True, slots=True)
class HandlerSpec:
    kind: str
    handler: Handler
    max_attempts: int


_handlers: dict[str, HandlerSpec] = {}


def job_handler(
    kind: str, *, max_attempts: int = DEFAULT_MAX_ATTEMPTS
) -> Callable[[Handler], Handler]:
    """Register ``handler`` for ``kind`` (e.g. ``"messages.reminder"``); one handler a kind."""
    if not KIND_PATTERN.match(kind) or len(kind) > 64:
        raise ValueError(f"job kind {kind!r} must be dotted lower_snake_case, at most 64 chars")
    if max_attempts < 1:
        raise ValueError("max_attempts must be at least 1")

    def register(handler: Handler) -> Handler:
        known = _handlers.get(kind)
        if known is not None and known.handler is not handler:
            qualified = getattr(handler, "__qualname__", repr(handler))
            if getattr(known.handler, "__qualname__", None) != qualified:
                raise ValueError(f"job kind {kind!r} already has a handler")
        _handlers[kind] = HandlerSpec(kind, handler, max_attempts)
        return handler

    return register


def spec_for(kind: str) -> HandlerSpec | None:
    return _handlers.get(kind)


def kinds() -> list[str]:
    return sorted(_handlers)


def unregister(kind: str) -> None:
    """Tests register throw-away kinds; this removes one again."""
    _handlers.pop(kind, None)
