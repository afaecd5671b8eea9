"""The soak's figures: samples grouped per minute as a table, the curves as a PNG (matplotlib,
Agg: no display), and the checks, each printed PASS or FAIL."""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from soak import Load

RSS_GROWTH_LIMIT = 0.05  # per worker, after the warm-up
FD_SLACK = 0.01  # sockets being closed at the moment of a sample; a leak per request or
# reconnect grows by far more (2,000 sockets: 100 reconnects a minute, ~15 requests a second)


@dataclass
class Sample:
    at: float  # seconds since the load began
    rss: list[int]  # KiB per worker
    fds: list[int]  # per worker
    connections: int  # pg_stat_activity rows of the bench database
    requests: int  # HTTP answers so far (all kinds)
    failures: int  # so far
    delivered: int  # events received by subscribers so far
    latencies: array[float]  # live events since the previous sample, seconds
    subscribed: int  # subscribers connected and subscribed
    settled: bool  # no reconnect burst in progress


def p99(values: list[float]) -> float:
    if not values:
        return 0.0
    if len(values) < 2:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[98]


def per_minute(samples: list[Sample]) -> list[str]:
    workers = len(samples[0].rss)
    head = "minute " + " ".join(f"RSS w{n + 1} MB" for n in range(workers))
    head += "  fds (w1+w2)  DB conns   req/s  events/s  p99 event ms  errors  subscribed"
    lines = [head]
    previous = samples[0]
    for minute in range(int(samples[-1].at // 60) + 1):
        group = [s for s in samples if int(s.at // 60) == minute and s is not samples[0]]
        if not group:
            continue
        last, seconds = group[-1], max(group[-1].at - previous.at, 1e-9)
        latencies = [x for s in group for x in s.latencies]
        rss = " ".join(f"{last.rss[n] / 1024:11.1f}" for n in range(workers))
        fds = "+".join(str(f) for f in max((s.fds for s in group), key=sum))
        lines.append(
            f"{minute:6d} {rss}  {fds:>11}  {max(s.connections for s in group):8d}"
            f"  {(last.requests - previous.requests) / seconds:6.1f}"
            f"  {(last.delivered - previous.delivered) / seconds:8.1f}"
            f"  {p99(latencies) * 1000:12.1f}  {last.failures - previous.failures:6d}"
            f"  {min(s.subscribed for s in group):10d}"
        )
        previous = last
    return lines


def plot(samples: list[Sample], path: str, warmup: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot

    minutes = [s.at / 60 for s in samples]
    figure, axes = pyplot.subplots(3, 2, figsize=(12, 11), sharex=True)
    (rss, fds), (connections, rate), (events, latency) = axes
    for n in range(len(samples[0].rss)):
        rss.plot(minutes, [s.rss[n] / 1024 for s in samples], label=f"worker {n + 1}")
        fds.plot(minutes, [s.fds[n] for s in samples], label=f"worker {n + 1}")
    fds.plot(minutes, [sum(s.fds) for s in samples], label="both")
    connections.plot(minutes, [s.connections for s in samples], color="tab:purple")
    pairs = list(itertools.pairwise(samples))
    later = [b.at / 60 for _, b in pairs]
    rate.plot(later, [(b.requests - a.requests) / (b.at - a.at) for a, b in pairs], label="req/s")
    errors = [b.at / 60 for a, b in pairs if b.failures > a.failures]
    rate.scatter(errors, [0] * len(errors), color="red", marker="x", label="an error")
    events.plot(later, [(b.delivered - a.delivered) / (b.at - a.at) for a, b in pairs])
    latency.plot(later, [p99(list(b.latencies)) * 1000 for _, b in pairs], color="tab:green")
    titles = [
        (rss, "RSS per worker (MB)"), (fds, "open file descriptors"),
        (connections, "PostgreSQL connections (pg_stat_activity)"),
        (rate, "HTTP requests/s (all kinds)"), (events, "events delivered/s (all subscribers)"),
        (latency, "event latency p99 (ms, commit -> client)"),
    ]  # fmt: skip
    for axis, title in titles:
        axis.set_title(title)
        axis.set_ylim(bottom=0)
        axis.axvline(warmup / 60, color="grey", linestyle=":", linewidth=1)
        axis.grid(alpha=0.3)
    rss.set_ylim(bottom=min(min(s.rss) for s in samples) / 1024 * 0.9)
    for axis in (events, latency):
        axis.set_xlabel("minutes")
    for axis in (rss, fds, rate):
        axis.legend(fontsize=8)
    figure.suptitle("aescrm soak: 2 workers, PostgreSQL + Redis (dotted: end of warm-up)")
    figure.tight_layout()
    figure.savefig(path, dpi=90)
    pyplot.close(figure)


def windows(samples: list[Sample], warmup: float) -> tuple[list[Sample], list[Sample]]:
    """The first and the last stretch after the warm-up, each a third of it, at most a minute."""
    end = samples[-1].at
    span = min(60.0, (end - warmup) / 3)
    first = [s for s in samples if warmup <= s.at <= warmup + span]
    last = [s for s in samples if s.at >= end - span]
    return first or samples[:1], last or samples[-1:]


def checks(
    load: Load, expected: dict[str, tuple[int, int]], warmup: float
) -> list[tuple[bool, str]]:
    samples, tally = load.samples, load.tally
    found = []
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(tally.requests.items()))
    found.append((tally.failures == 0, f"no error: {tally.failures} failures ({kinds} answered)"))
    wrong = [
        s for s in load.subscribers
        if s.lost or s.duplicated or (s.received, s.last) != expected[s.practice]
    ]  # fmt: skip
    lost = sum(s.lost for s in load.subscribers)
    duplicated = sum(s.duplicated for s in load.subscribers)
    events = sum(count for count, _ in expected.values())
    reconnects = sum(s.reconnects for s in load.subscribers)
    detail = (
        f"{len(load.subscribers)} subscribers, {events} schedule events committed, "
        f"{sum(s.received for s in load.subscribers)} delivered, {reconnects} reconnects "
        f"with since; {lost} lost, {duplicated} duplicated, {len(wrong)} subscribers incomplete"
    )
    if wrong:
        s = wrong[0]
        detail += f" (e.g. got {s.received} up to {s.last}, expected {expected[s.practice]})"
    found.append((not wrong, f"every event exactly once: {detail}"))
    first, last = windows(samples, warmup)
    settled_first = [s for s in first if s.settled] or first
    settled_last = [s for s in last if s.settled] or last
    for n in range(len(samples[0].rss)):
        before = statistics.median(s.rss[n] for s in first)
        after = statistics.median(s.rss[n] for s in last)
        growth = after / before - 1
        found.append(
            (
                growth < RSS_GROWTH_LIMIT,
                f"RSS worker {n + 1}: {before / 1024:.1f} MB after warm-up -> "
                f"{after / 1024:.1f} MB at the end ({growth * 100:+.1f} %, "
                f"limit +{RSS_GROWTH_LIMIT * 100:.0f} %)",
            )
        )
    total_before = statistics.median(sum(s.rss) for s in first)
    total_after = statistics.median(sum(s.rss) for s in last)
    print(
        f"  (both workers: {total_before / 1024:.1f} MB -> {total_after / 1024:.1f} MB, "
        f"{(total_after / total_before - 1) * 100:+.1f} %; a reconnecting client may land on the "
        "other worker, so one worker's RSS moves with its share of the sockets)"
    )
    before_fds = max(sum(s.fds) for s in settled_first)
    after_fds = max(sum(s.fds) for s in settled_last)
    found.append(
        (
            after_fds <= before_fds * (1 + FD_SLACK),
            f"open fds (both workers, settled samples): {before_fds} after warm-up -> "
            f"{after_fds} at the end (slack {FD_SLACK * 100:.0f} %)",
        )
    )
    before_db = max(s.connections for s in first)
    after_db = max(s.connections for s in last)
    found.append(
        (
            after_db <= before_db,
            f"DB connections: {before_db} after warm-up -> {after_db} at the end (max of each)",
        )
    )
    return found


def report(
    load: Load, expected: dict[str, tuple[int, int]], args: argparse.Namespace, pids: list[int]
) -> bool:
    samples = load.samples
    print(
        f"soak: {args.seconds / 60:.1f} min, 2 workers (pids {' '.join(map(str, pids))}), "
        f"{len(load.practices)} practices, {args.subscribers} subscribers "
        f"({args.reconnect_share * 100:.0f} % reconnect every {args.reconnect_every:.0f} s), "
        f"board {args.board_rate:g}/s, bookings {args.booking_rate:g}/s, "
        f"status changes {args.status_rate:g}/s, partner {args.partner_rate:g}/s, "
        f"warm-up {args.warmup:.0f} s, samples every {args.sample:g} s"
    )
    for line in per_minute(samples):
        print("  " + line)
    everything = [x for s in samples for x in s.latencies]
    median = statistics.median(everything or [0.0])
    print(
        f"  events: {len(everything)} live deliveries timed, p50 {median * 1000:.1f} ms, "
        f"p99 {p99(everything) * 1000:.1f} ms, max {max(everything or [0.0]) * 1000:.1f} ms "
        "(commit -> client)"
    )
    for message in load.tally.messages[:10]:
        print(f"  error: {message}")
    plot(samples, args.png, args.warmup)
    print(f"  curves: {args.png}")
    print(f"  load average at the end: {' '.join(f'{n:.2f}' for n in os.getloadavg())}")
    results = checks(load, expected, args.warmup)
    for ok, text in results:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    return all(ok for ok, _ in results)


__all__: list[Any] = ["Sample", "report"]
