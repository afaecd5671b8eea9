"""Benchmark: what metrics and traces cost the reception board, off against on in one run.

The board of ``bench/board.py`` (a fresh PostgreSQL database, 300 appointments, ``aescrm serve
--workers 2``, bare keep-alive clients), served in turn by servers that differ only in their
observability settings:

- ``off``: ``AESCRM_METRICS_ENABLED=false``, no tracing (no extension, no middleware, no
  statement counting);
- ``metrics``: the default, metrics on (two workers: prometheus_client's multiprocess mode,
  values in files under ``PROMETHEUS_MULTIPROC_DIR``), scraped every 15 s during the run;
- ``metrics+tracing``: also ``AESCRM_TRACING_EXPORTER=otlp`` to a local OTLP/HTTP sink that
  answers 200 and counts bytes (ASGI, GraphQL operation and SQL spans, batched).

The modes run in alternation for ``--rounds`` rounds (in reverse order every other round), so
a change of load on a shared machine, or an order effect, hits them alike. Prints each run's
req/s and server CPU ms/req, then per mode the median over rounds and its difference from
``off``.

    .venv/bin/python bench/observability.py [--requests 1000] [--concurrency 16] [--rounds 3]

``--in-process`` calls the app over ASGI in this process instead (sequential requests, values
in a multiprocess directory as the workers keep them) and prints CPU ms per request from
``time.process_time``: on a busy shared machine the steadiest figure of the three (the OTLP
sink's thread is in the same process, so its CPU counts against tracing).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import orjson
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent))
from board import DAY, QUERY, asgi_call, fire, seed  # the board benchmark's seed and client
from testbed import ADMIN_URL, AESCRM, ROOT, TICKS, cpu_ticks, free_port, workers_of
from testbed import admin as _admin

SCRAPE_SECONDS = 15.0  # Prometheus's usual interval
MODES: dict[str, dict[str, str]] = {
    "off": {"AESCRM_METRICS_ENABLED": "false", "AESCRM_TRACING_EXPORTER": "none"},
    "metrics": {"AESCRM_METRICS_ENABLED": "true", "AESCRM_TRACING_EXPORTER": "none"},
    "metrics+tracing": {"AESCRM_METRICS_ENABLED": "true", "AESCRM_TRACING_EXPORTER": "otlp"},
}


def in_order(round_: int) -> list[str]:
    """The modes, reversed every other round: whichever runs first in a process or after a
    given neighbour must not always be the same mode (that alone moved CPU figures by 10%)."""
    return list(MODES) if round_ % 2 else list(reversed(MODES))


class Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector that keeps nothing: 200 to every export, bytes counted."""

    received = 0

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        Sink.received += len(self.rfile.read(length))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


def scrape_while(port: int, stop: threading.Event, found: list[str]) -> None:
    """Prometheus's part: /metrics every 15 s (loopback, development: no token needed)."""
    while not stop.wait(SCRAPE_SECONDS):
        with contextlib.suppress(httpx.HTTPError):
            found.append(httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text)


def run_mode(
    mode: str, env: dict[str, str], token: str, practice: str, args: argparse.Namespace
) -> tuple[float, float, int]:
    """One server in ``mode``: (req/s, server CPU ms/req, failures)."""
    port = free_port()
    server = subprocess.Popen(
        [str(AESCRM), "serve", "--port", str(port), "--workers", "2"],
        env={**env, **MODES[mode]},
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    stop, scrapes = threading.Event(), []
    try:
        deadline = time.monotonic() + 120  # two workers start slowly on a loaded 2-core box
        while True:
            if server.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the {mode} server did not start")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.2)
        uvloop.run(fire(port, token, practice, 100, args.concurrency))  # warm-up
        pids = workers_of(server.pid)
        scraper = None
        if mode != "off":
            scraper = threading.Thread(target=scrape_while, args=(port, stop, scrapes))
            scraper.start()
        before, began = cpu_ticks(pids), time.perf_counter()
        _, failures = uvloop.run(fire(port, token, practice, args.requests, args.concurrency))
        elapsed, used = time.perf_counter() - began, cpu_ticks(pids) - before
        stop.set()
        if scraper is not None:
            scraper.join()
            final = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
            counted = 'aescrm_graphql_operations_total{operation="Board",outcome="ok"}'
            assert counted in final, "the board's operations were not counted"
        return args.requests / elapsed, used / TICKS * 1000 / args.requests, failures
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)


async def in_process(
    url: str, var: str, token: str, practice: str, args: argparse.Namespace, otlp: str
) -> dict[str, list[float]]:
    """The app called over ASGI in this process, modes alternating: CPU ms per request from
    ``time.process_time`` (sequential requests; steadier than req/s on a busy machine)."""
    from graph.app import create_app
    from graph.settings import Settings

    variables = {"practiceId": practice, "from": f"{DAY}T00:00:00Z", "to": f"{DAY}T23:59:00Z"}
    body = orjson.dumps({"query": QUERY, "variables": variables})
    cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
    for round_ in range(1, args.rounds + 1):
        for mode in in_order(round_):
            values = MODES[mode]
            settings = Settings(
                database_url=url,
                var_dir=Path(var),
                rate_limit_per_minute=10**6,
                log_level="WARNING",
                metrics_enabled=values["AESCRM_METRICS_ENABLED"] == "true",
                tracing_exporter=values["AESCRM_TRACING_EXPORTER"],  # type: ignore[arg-type]
                tracing_otlp_endpoint=otlp,
            )
            app = create_app(settings)
            async with app.router.lifespan_context(app):
                call = asgi_call(app, body, token)
                for _ in range(30):
                    await call()
                began = time.process_time()
                for _ in range(args.requests):
                    await call()
                used = (time.process_time() - began) * 1000 / args.requests
            cpu[mode].append(used)
            print(f"  round {round_} {mode:<16} CPU {used:5.2f} ms/req (in process)")
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--in-process", action="store_true", help="no server: CPU per request over ASGI"
    )
    args = parser.parse_args()
    if args.in_process:  # the workers' mode: values in files (before prometheus_client loads)
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="aescrm-bench-prom-")
    name = f"aescrm_bench_obs_{uuid.uuid4().hex[:8]}"
    url = f"{ADMIN_URL}/{name}"
    asyncio.run(_admin(f"CREATE DATABASE {name}"))
    var = tempfile.mkdtemp(prefix="aescrm-bench-")
    sink = ThreadingHTTPServer(("127.0.0.1", 0), Sink)
    threading.Thread(target=sink.serve_forever, daemon=True).start()
    env = {
        **os.environ,
        "AESCRM_DATABASE_URL": url,
        "AESCRM_VAR_DIR": var,
        "AESCRM_RATE_LIMIT_PER_MINUTE": "1000000",
        "AESCRM_ACCESS_LOG": "false",
        "AESCRM_LOG_LEVEL": "WARNING",
        "AESCRM_TRACING_OTLP_ENDPOINT": f"http://127.0.0.1:{sink.server_port}/v1/traces",
    }
    results: dict[str, list[tuple[float, float]]] = {mode: [] for mode in MODES}
    try:
        subprocess.run([str(AESCRM), "migrate"], env=env, check=True, cwd=ROOT, capture_output=True)
        practice, email = asyncio.run(seed(url))
        token = (
            subprocess.run(
                [str(AESCRM), "dev-token", email],
                env=env,
                check=True,
                cwd=ROOT,
                capture_output=True,
                text=True,
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        if args.in_process:
            print(f"board in process: {args.requests} sequential requests per run")
            cpu = uvloop.run(
                in_process(url, var, token, practice, args, env["AESCRM_TRACING_OTLP_ENDPOINT"])
            )
            base = statistics.median(cpu["off"])
            print("median over rounds (difference from off):")
            for mode, runs in cpu.items():
                used = statistics.median(runs)
                print(f"  {mode:<16} CPU {used:5.2f} ms/req ({(used / base - 1) * 100:+.1f}%)")
            return
        print(
            f"board: 300 appointments, {args.requests} requests per run, concurrency "
            f"{args.concurrency}, 2 workers, {args.rounds} rounds of {', '.join(MODES)}"
        )
        for round_ in range(1, args.rounds + 1):
            for mode in in_order(round_):
                rate, cpu, failures = run_mode(mode, env, token, practice, args)
                results[mode].append((rate, cpu))
                print(
                    f"  round {round_} {mode:<16} {rate:6.1f} req/s  server CPU {cpu:5.2f} ms/req"
                    f"  failures={failures}  load={os.getloadavg()[0]:.2f}"
                )
        base_rate = statistics.median(r for r, _ in results["off"])
        base_cpu = statistics.median(c for _, c in results["off"])
        print("median over rounds (difference from off):")
        for mode, runs in results.items():
            rate = statistics.median(r for r, _ in runs)
            cpu = statistics.median(c for _, c in runs)
            print(
                f"  {mode:<16} {rate:6.1f} req/s ({(rate / base_rate - 1) * 100:+.1f}%)  "
                f"server CPU {cpu:5.2f} ms/req ({(cpu / base_cpu - 1) * 100:+.1f}%)"
            )
        print(f"  spans exported to the sink: {Sink.received / 1024:.0f} KiB (OTLP protobuf)")
    finally:
        sink.shutdown()
        asyncio.run(_admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


if __name__ == "__main__":
    main()
