"""``aescrm`` with the test handlers registered: ``python -m tests.jobs.worker_process worker``.

The real console app (the same ``worker`` command, signals and shutdown); only the test handler
module is imported first, as ``services.jobs.catalogue`` imports the real ones.
"""

from __future__ import annotations

import tests.jobs.effects  # noqa: F401 - registers test.effect
from graph.cli import app

if __name__ == "__main__":
    app()
