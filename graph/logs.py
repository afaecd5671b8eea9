"""Structured JSON logging, one line per event, each carrying the request id.

Every process logs the same way: ``aescrm serve`` hands :func:`logging_config` to uvicorn as its
``log_config``, which uvicorn applies in the parent *and* again in each spawned worker (a spawned
worker starts with a fresh interpreter and would otherwise have no handler at all: no JSON, no
request ids, INFO dropped and tracebacks printed raw by logging's last-resort handler).
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

_FORMAT = "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s %(request_id)s"
_RENAMED = {"asctime": "time", "levelname": "level", "name": "logger", "process": "pid"}
# uvicorn attaches a copy of some messages with ANSI colour codes; a JSON line must not carry it.
_TERMINAL_ONLY = ("color_message",)


class RequestIdFilter(logging.Filter):
    """Stamps the current request id on the record and drops terminal-only extras."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        for name in _TERMINAL_ONLY:
            record.__dict__.pop(name, None)
        return True


class JsonLineFormatter(JsonFormatter):
    """One JSON object per line (a traceback goes into ``exc_info``, never on lines of its own)."""

    def __init__(self) -> None:
        super().__init__(_FORMAT, rename_fields=_RENAMED)


def logging_config(level: str = "INFO", *, access_log: bool = False) -> dict[str, Any]:
    """The ``logging.config.dictConfig`` of every aescrm process (and uvicorn's ``log_config``)."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "graph.logs.RequestIdFilter"}},
        "formatters": {"json": {"()": "graph.logs.JsonLineFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "stream": "ext://sys.stderr",
                "formatter": "json",
                "filters": ["request_id"],
            }
        },
        "root": {"level": level.upper(), "handlers": ["stderr"]},
        "loggers": {
            # SQL values must never reach INFO.
            "tortoise": {"level": "WARNING"},
            # uvicorn's own loggers go through the root handler, never their coloured ones.
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # The access log is off the hot path unless asked for.
            "uvicorn.access": {"handlers": [], "propagate": access_log},
        },
    }


def configure_logging(level: str = "INFO", *, access_log: bool = False) -> None:
    logging.config.dictConfig(logging_config(level, access_log=access_log))
    logging.getLogger("uvicorn.access").disabled = not access_log
