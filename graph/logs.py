"""Structured JSON logging, one line per event, each carrying the request id."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True


def configure_logging(level: str = "INFO", *, access_log: bool = False) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(RequestIdFilter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # SQL values must never reach INFO; uvicorn's access log is off the hot path unless asked.
    logging.getLogger("tortoise").setLevel(logging.WARNING)
    logging.getLogger("uvicorn.access").disabled = not access_log
    logging.getLogger("uvicorn.error").handlers[:] = []
    logging.getLogger("uvicorn.access").handlers[:] = []
