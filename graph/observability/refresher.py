"""Gauges of state, re-read on a timer (``AESCRM_METRICS_REFRESH_SECONDS``) by each process.

Reading them on a timer keeps them off every request's path and lets the separate metrics
port (served by a process with no database connection) show them too: each worker writes what
it sees, and the scrape adds live workers' sockets and queues and takes the largest outbox lag
and job queue depth (every worker reads the same database).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, datetime

from db.queries import jobs as job_rows
from graph.observability.series import (
    JOB_QUEUE_DEPTH,
    OUTBOX_LAG,
    SUBSCRIPTION_QUEUE_DEPTH,
    SUBSCRIPTIONS,
    WEBSOCKETS,
)
from realtime import store
from realtime.fanout import Fanout

__all__ = ["refresh", "refresh_forever"]

log = logging.getLogger("aescrm.metrics")


async def refresh(fanout: Fanout, open_sockets: Callable[[], int]) -> None:
    """Sets every gauge once."""
    WEBSOCKETS.set(open_sockets())
    SUBSCRIPTIONS.set(fanout.subscriber_count)
    SUBSCRIPTION_QUEUE_DEPTH.set(fanout.queue_depth)
    now = datetime.now(UTC)
    oldest = await store.oldest_unpublished()
    OUTBOX_LAG.set(max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0)
    JOB_QUEUE_DEPTH.set(await job_rows.due_count(now))


async def refresh_forever(fanout: Fanout, open_sockets: Callable[[], int], seconds: float) -> None:
    failing = False
    while True:
        try:
            await refresh(fanout, open_sockets)
        except asyncio.CancelledError:
            raise
        except Exception:  # a database blip: the gauges keep their last values meanwhile
            if not failing:
                log.warning("could not refresh metrics gauges", exc_info=True)
            failing = True
        else:
            failing = False
        await asyncio.sleep(seconds)
