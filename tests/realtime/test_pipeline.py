"""The pipeline's parts in process: outbox + relay, bus backends, feeds, bounded queues."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection, Hashable
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest

from db.models.outbox import DomainEvent
from db.outbox import PendingEvent
from db.uow import unit_of_work
from realtime import store
from realtime.bus import Bus
from realtime.channels import channel_for
from realtime.envelopes import SCHEDULE, Envelope, StoredEvent
from realtime.fanout import Fanout, Watch
from realtime.relay import Relay
from realtime.subscriber import SLOW_CONSUMER, Stop, Subscriber
from services import watch_access
from tests import factories
from tests.databases import REDIS_URL, redis_reachable

SCOPES = frozenset({"schedule:read"})


async def _emit(practice: object, count: int = 1) -> list[int]:
    async with unit_of_work() as uow:
        for _ in range(count):
            uow.emit(
                PendingEvent(
                    organization_id=practice.organization_id,  # type: ignore[attr-defined]
                    practice_id=practice.id,  # type: ignore[attr-defined]
                    topic=SCHEDULE,
                    type="practice.notice",
                )
            )
    return [int(row.sequence) for row in uow.committed_events]


async def _failing_change(practice: object) -> None:
    async with unit_of_work() as uow:
        uow.emit(PendingEvent(practice.organization_id, practice.id, SCHEDULE, "x"))  # type: ignore[attr-defined]
        raise RuntimeError("the change failed")


class Collected:
    def __init__(self) -> None:
        self.messages: list[Envelope] = []
        self.arrived = asyncio.Event()

    def __call__(self, raw: bytes) -> None:
        envelope = Envelope.decode(raw)
        assert envelope is not None
        self.messages.append(envelope)
        self.arrived.set()


async def test_rolled_back_change_emits_nothing_and_committed_one_is_published(db: str) -> None:
    practice = await factories.practice()
    bus = Bus("memory://")
    await bus.connect()
    seen = Collected()
    await bus.listen(channel_for(practice.id, SCHEDULE), seen)
    relay = Relay(bus, poll_seconds=0.05, grace_seconds=0)
    await relay.start()
    try:
        with pytest.raises(RuntimeError):
            await _failing_change(practice)
        await asyncio.sleep(0.2)
        assert seen.messages == []
        assert await DomainEvent.filter(practice_id=practice.id).count() == 0
        assert await _emit(practice) == [1]  # the rolled-back one used no sequence
        await asyncio.wait_for(seen.arrived.wait(), 2)
        assert [m.sequence for m in seen.messages] == [1]
        await asyncio.sleep(0.1)  # marked right after publishing
        assert await DomainEvent.filter(published_at__isnull=True).count() == 0
    finally:
        await relay.stop()


async def test_relay_sweep_publishes_rows_a_dead_process_left(db: str) -> None:
    practice = await factories.practice()
    await _emit(practice, 2)  # no relay running: committed, unpublished
    bus = Bus("memory://")
    await bus.connect()
    seen = Collected()
    await bus.listen(channel_for(practice.id, SCHEDULE), seen)
    assert await Relay(bus, grace_seconds=0).sweep() == 2
    await asyncio.wait_for(seen.arrived.wait(), 2)
    await asyncio.sleep(0.05)
    assert [m.sequence for m in seen.messages] == [1, 2]


@pytest.mark.parametrize("url", ["memory://", "redis"])
async def test_bus_round_trip(url: str) -> None:
    if url == "redis":
        redis_reachable()
        url = REDIS_URL
    bus = Bus(url)
    await bus.connect()
    try:
        seen = Collected()
        channel = channel_for(UUID(int=7), "test")
        stop = await bus.listen(channel, seen)
        await bus.publish(channel, Envelope(UUID(int=7), "test", 5).encode())
        await asyncio.wait_for(seen.arrived.wait(), 2)
        assert seen.messages == [Envelope(UUID(int=7), "test", 5)]
        assert await bus.ping()
        stop()
    finally:
        await bus.disconnect()


def test_slow_consumer_is_stopped_and_keeps_nothing() -> None:
    stops: list[Stop] = []
    subscriber = Subscriber(
        identity="u", scopes=SCOPES, accepts=lambda _: True, expires_at=None, limit=3,
        on_stop=stops.append,
    )  # fmt: skip
    for sequence in range(1, 10):
        subscriber.offer(sequence, object())
    assert stops == [SLOW_CONSUMER]
    assert SLOW_CONSUMER.close_code == 4008
    assert len(subscriber.pending) == 0


def _writer(accepting: list[bool], written: list[object]) -> Callable[[object], bool]:
    def write(item: object) -> bool:
        if accepting[0]:
            written.append(item)
        return accepting[0]

    return write


def _live(
    write: Callable[[object], bool],
    stops: list[Stop],
    limit: int = 8,
    send: Callable[[object], Awaitable[None]] | None = None,
) -> Subscriber:
    subscriber = Subscriber(
        identity="u", scopes=SCOPES, accepts=lambda _: True, expires_at=None, limit=limit,
        on_stop=stops.append, write=write, send=send,
    )  # fmt: skip
    subscriber.live = True
    return subscriber


def test_live_subscriber_is_written_directly_once_per_sequence() -> None:
    written: list[object] = []
    subscriber = _live(_writer([True], written), [])
    for sequence, item in [(1, "a"), (2, "b"), (2, "b again"), (1, "a again"), (3, "c")]:
        subscriber.offer(sequence, item)
    assert written == ["a", "b", "c"]
    assert not subscriber.pending


async def test_refused_write_queues_and_later_events_wait_behind_it() -> None:
    accepting, written = [False], []
    subscriber = _live(_writer(accepting, written), [])
    subscriber.offer(1, "a")  # the socket cannot take it: queued for the consumer
    accepting[0] = True
    subscriber.offer(2, "b")  # would fit, but must not overtake "a"
    assert written == []
    assert await subscriber.next() == (1, "a")
    subscriber.offer(3, "c")  # the consumer is still sending "a": queued
    assert written == []
    assert await subscriber.next() == (2, "b")
    assert await subscriber.next() == (3, "c")
    waiting = asyncio.get_running_loop().create_task(subscriber.next())
    await asyncio.sleep(0)  # drained and idle: the next event goes straight to the socket
    subscriber.offer(4, "d")
    await asyncio.sleep(0)
    assert written == ["d"]
    assert not waiting.done()
    waiting.cancel()


async def test_detached_subscriber_sends_its_backlog_in_order_without_a_reader() -> None:
    accepting, written, sent = [False], [], []

    async def send(item: object) -> None:
        await asyncio.sleep(0)  # a socket that takes a moment
        sent.append(item)

    subscriber = _live(_writer(accepting, written), [], send=send)
    subscriber.detach()  # nobody will call next()
    subscriber.offer(1, "a")
    subscriber.offer(2, "b")
    accepting[0] = True
    subscriber.offer(3, "c")  # the backlog is not empty: behind it
    subscriber.offer(2, "b again")
    for _ in range(10):
        await asyncio.sleep(0)
    assert sent == ["a", "b", "c"]
    assert written == []
    assert subscriber.drainer is None  # the backlog's task is gone once it is sent
    subscriber.offer(4, "d")
    assert written == ["d"]


def test_events_are_queued_until_the_replay_is_done() -> None:
    written: list[object] = []
    subscriber = _live(_writer([True], written), [])
    subscriber.live = False
    subscriber.offer(1, "a")
    assert written == []
    assert [sequence for sequence, _ in subscriber.pending] == [1]


def test_a_socket_that_never_drains_is_stopped_with_4008() -> None:
    stops: list[Stop] = []
    subscriber = _live(_writer([False], []), stops, limit=3)
    for sequence in range(1, 10):
        subscriber.offer(sequence, object())
    assert stops == [SLOW_CONSUMER]
    assert len(subscriber.pending) == 0


async def _allow(
    practice_id: UUID, identities: Collection[Hashable]
) -> dict[Hashable, frozenset[str] | None]:
    return dict.fromkeys(identities, SCOPES)


async def _render(event: StoredEvent) -> object:
    return event.sequence


async def test_feed_recovers_lost_and_reordered_envelopes_in_order(db: str) -> None:
    practice = await factories.practice()
    bus = Bus("memory://")
    await bus.connect()
    fanout = Fanout(bus, authorise=_allow, queue_size=10)
    await fanout.start()
    watch = Watch(
        practice_id=practice.id, topic=SCHEDULE, render_key="n", render=_render, identity="u",
        scopes=SCOPES, accepts=lambda _: True, expires_at=None, on_stop=lambda _: None,
    )  # fmt: skip
    stream = fanout.watch(watch, since=None)
    received: list[int] = []

    async def consume() -> None:
        async for sequence, _ in stream:
            received.append(sequence)

    task = asyncio.create_task(consume())
    await asyncio.sleep(0.1)
    await _emit(practice, 3)
    channel = channel_for(practice.id, SCHEDULE)
    await bus.publish(channel, Envelope(practice.id, SCHEDULE, 3).encode())  # 1 and 2 lost
    await bus.publish(channel, Envelope(practice.id, SCHEDULE, 2).encode())  # late duplicate
    await asyncio.sleep(0.3)
    assert received == [1, 2, 3]
    task.cancel()
    await fanout.stop()


async def test_while_the_bus_is_down_feeds_poll_the_table_then_bus_wakeups_resume(
    db: str, caplog: pytest.LogCaptureFixture
) -> None:
    practice = await factories.practice()
    bus = Bus("memory://")
    await bus.connect()
    bus._backend.up = False  # type: ignore[misc]  # as a Redis bus whose listener lost Redis
    fanout = Fanout(bus, authorise=_allow, queue_size=10, bus_down_poll_seconds=0.1)
    await fanout.start()
    relay = Relay(bus, poll_seconds=0.05, grace_seconds=0)
    await relay.start()
    watch = Watch(
        practice_id=practice.id, topic=SCHEDULE, render_key="n", render=_render, identity="u",
        scopes=SCOPES, accepts=lambda _: True, expires_at=None, on_stop=lambda _: None,
    )  # fmt: skip
    received: list[int] = []

    async def consume() -> None:
        async for sequence, _ in fanout.watch(watch, since=None):
            received.append(sequence)

    task = asyncio.create_task(consume())
    try:
        await asyncio.sleep(0.1)
        with caplog.at_level("INFO", logger="aescrm"):
            await _emit(practice, 3)  # no envelope can travel: only the table knows
            await asyncio.sleep(0.5)
        assert received == [1, 2, 3]
        assert [r.message for r in caplog.records if r.name.startswith("aescrm")] == []
        assert await DomainEvent.filter(published_at__isnull=True).count() == 3  # left for later
        bus._backend.up = True  # type: ignore[misc]
        await _emit(practice)  # the relay publishes again; old envelopes change nothing
        await relay.sweep()
        await asyncio.sleep(0.3)
        assert received == [1, 2, 3, 4]
        assert await DomainEvent.filter(published_at__isnull=True).count() == 0
    finally:
        task.cancel()
        await relay.stop()
        await fanout.stop()


async def test_prune_deletes_in_batches_oldest_first_and_reports_progress(db: str) -> None:
    practice = await factories.practice()
    await _emit(practice, 7)
    old = datetime.now(UTC) - timedelta(days=8)
    await DomainEvent.filter(sequence__lte=5, practice_id=practice.id).update(occurred_at=old)
    reports: list[tuple[int, int]] = []
    deleted = await store.prune(
        datetime.now(UTC) - timedelta(days=7),
        batch_size=2,
        on_batch=lambda d, t: reports.append((d, t)),
    )
    assert deleted == 5
    assert reports == [(2, 5), (4, 5), (5, 5)]  # three statements of at most two rows
    assert [e.sequence for e in await store.after(practice.id, 0)] == [6, 7]


async def test_prune_keeps_the_retention_window(db: str) -> None:
    practice = await factories.practice()
    await _emit(practice, 2)
    old = datetime.now(UTC) - timedelta(days=8)
    await DomainEvent.filter(sequence=1, practice_id=practice.id).update(occurred_at=old)
    assert await watch_access.prune(timedelta(days=7)) == 1
    assert [e.sequence for e in await store.after(practice.id, 0)] == [2]
    with pytest.raises(watch_access.ResyncRequired):
        await watch_access.check_resumable(practice.id, 0, 100)  # type: ignore[arg-type]
    await watch_access.check_resumable(practice.id, 1, 100)  # type: ignore[arg-type]
