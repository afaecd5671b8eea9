"""Every module that registers job handlers, imported once by whatever runs jobs.

Add your handler module here (one line each); the worker, the in-process runner and the CLI
import them all through :func:`load`, so a job kind is known wherever jobs run.
"""

from __future__ import annotations

import importlib

MODULES: list[str] = [
    "services.jobs.maintenance",
    "services.messaging.jobs",
    "services.webhooks.jobs",
]


def load() -> None:
    for module in MODULES:
        importlib.import_module(module)
