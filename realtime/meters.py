"""The real-time pipeline's Prometheus series (exposed by the server's ``/metrics``).

Counted where the work happens, once per event and group rather than once per socket, so the
fan-out's hot loop pays one counter increment per event. Gauges of state (queue depth,
subscriptions) are read by the server's periodic refresher from :class:`~realtime.fanout.Fanout`.
"""

from __future__ import annotations

from prometheus_client import Counter

__all__ = ["FANOUT_DELIVERIES"]

FANOUT_DELIVERIES = Counter(
    "aescrm_fanout_deliveries",
    "Events handed to subscribers by this process's fan-out (written or queued), one per "
    "subscriber per event.",
)
