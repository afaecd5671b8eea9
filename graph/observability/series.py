"""The server's Prometheus series, created once per process at import.

Under ``aescrm serve --workers N`` each worker writes its values to files in
``PROMETHEUS_MULTIPROC_DIR`` (set by the serve command before the workers start) and a scrape
adds them up; gauges say how (``livesum``: add live workers' values; ``livemax``: the database
is shared, every worker reads the same figure). Label values come from closed sets (operation
names are capped, see ``operations``), so the number of series stays bounded.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram, disable_created_metrics

__all__ = [
    "BUDGET_REFUSED",
    "JOB_QUEUE_DEPTH",
    "OPERATIONS",
    "OPERATION_SECONDS",
    "OUTBOX_LAG",
    "RATE_LIMITED",
    "RESOLVER_ERRORS",
    "SQL_STATEMENTS",
    "SUBSCRIPTIONS",
    "SUBSCRIPTION_QUEUE_DEPTH",
    "WEBSOCKETS",
]

# No *_created twin of every series: half the exposition, and of no use here.
disable_created_metrics()  # type: ignore[no-untyped-call]

OPERATIONS = Counter(
    "aescrm_graphql_operations",
    "GraphQL operations by operation name and outcome (ok, or the first error's code).",
    ["operation", "outcome"],
)
OPERATION_SECONDS = Histogram(
    "aescrm_graphql_operation_seconds",
    "Time to execute a GraphQL operation (parse, validate, execute), by operation name and "
    "outcome.",
    ["operation", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
RESOLVER_ERRORS = Counter(
    "aescrm_graphql_errors",
    "Errors in GraphQL responses, by extensions.code.",
    ["code"],
)
SQL_STATEMENTS = Histogram(
    "aescrm_sql_statements_per_operation",
    "SQL statements one GraphQL operation sent.",
    buckets=(0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144),
)
RATE_LIMITED = Counter(
    "aescrm_rate_limited_requests",
    "HTTP requests refused with 429 by the request rate limit.",
)
BUDGET_REFUSED = Counter(
    "aescrm_budget_refused_operations",
    "Operations refused (RATE_LIMITED) because the caller's query-cost budget was spent.",
    ["pool"],
)
WEBSOCKETS = Gauge(
    "aescrm_websocket_connections",
    "Open WebSocket connections.",
    multiprocess_mode="livesum",
)
SUBSCRIPTIONS = Gauge(
    "aescrm_active_subscriptions",
    "Live subscriptions registered with the fan-out.",
    multiprocess_mode="livesum",
)
SUBSCRIPTION_QUEUE_DEPTH = Gauge(
    "aescrm_fanout_queue_depth",
    "Events queued for subscribers and not yet written to their sockets.",
    multiprocess_mode="livesum",
)
OUTBOX_LAG = Gauge(
    "aescrm_outbox_lag_seconds",
    "Age of the oldest outbox event not yet published on the bus (0: none waiting).",
    multiprocess_mode="livemax",
)
JOB_QUEUE_DEPTH = Gauge(
    "aescrm_job_queue_depth",
    "Queued jobs that are due (run_at reached) and not yet claimed by a worker.",
    multiprocess_mode="livemax",
)
