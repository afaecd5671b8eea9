"""Metrics (Prometheus) and traces (OpenTelemetry) of the server.

- ``series``: every Prometheus series the graph layer owns (the fan-out's own counter lives in
  ``realtime.meters``), with fixed label sets;
- ``operations``: the schema extensions that time each GraphQL operation, count its errors and
  SQL statements, and (tracing on) open its span;
- ``exposition``: ``/metrics`` (bearer token or loopback) and the separate metrics port, in
  single- or multi-process mode;
- ``refresher``: gauges of state (sockets, subscriptions, queues, outbox lag, job queue depth)
  re-read on a timer, never on a request's path;
- ``tracing``: the tracer provider, exporter and ASGI/asyncpg instrumentation, off by default.
"""
