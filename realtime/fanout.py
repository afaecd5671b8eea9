"""Fan-out of committed events to this process's subscribers.

One ``Feed`` per practice with local subscribers. Woken by an envelope (a hint: "something up
to sequence n is committed"), it reads the rows after the last one it delivered from the table,
re-checks every subscriber's authorisation once for the batch (one query, not one per socket),
renders each row once per group — subscribers sharing topic and permission set — and offers the
result to the group's bounded queues; subscribers with an encoder (the finished GraphQL payload
of their operation) get it computed once per distinct ``encode_key`` in the group. Rows are
filtered by practice in SQL, so nothing of another practice can reach a feed whatever arrives
on its channel.

While the bus is down no envelope wakes a feed, so every feed reads the table on a short timer
(``bus_down_poll_seconds``) instead: boards keep moving, with the same delivered mark, order and
deduplication as a bus wake-up (a poll is just a wake-up without a sequence). When the bus is
back, the reconnect hook catches every feed up once and envelopes take over again.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from realtime import store
from realtime.bus import Bus
from realtime.channels import channel_for
from realtime.envelopes import Envelope, StoredEvent
from realtime.meters import FANOUT_DELIVERIES
from realtime.subscriber import (
    CHANGED,
    EXPIRED,
    REVOKED,
    SHUTDOWN,
    Encoder,
    Stop,
    Stopped,
    Subscriber,
)

log = logging.getLogger("aescrm.fanout")

Verdicts = Mapping[Hashable, frozenset[str] | None]  # identity -> scopes now (None: no access)
Authoriser = Callable[[UUID, Collection[Hashable]], Awaitable[Verdicts]]
Renderer = Callable[[StoredEvent], Awaitable[object | None]]
GroupKey = tuple[str, frozenset[str], Hashable]


@dataclass(slots=True)
class Group:
    render: Renderer
    subscribers: set[Subscriber] = field(default_factory=set)


@dataclass(frozen=True, slots=True)
class Watch:
    """What a subscription asks for; built by the graph layer from the principal."""

    practice_id: UUID
    topic: str
    render_key: Hashable  # what the renderer produces (e.g. the GraphQL type), part of the group
    render: Renderer
    identity: Hashable
    scopes: frozenset[str]
    accepts: Callable[[object], bool]
    expires_at: float | None  # unix time
    on_stop: Callable[[Stop], None]
    # What the stream yields instead of the rendered event (e.g. the finished payload of the
    # subscriber's operation), computed once per event for everyone in the group sharing
    # ``encode_key``. Without it the stream yields the rendered event.
    encode: Encoder | None = None
    encode_key: Hashable = None
    # Writes what the stream would yield straight to the socket, synchronously; False when
    # the socket cannot take it now (then it is queued for the stream). See ``Subscriber``.
    write: Callable[[object], bool] | None = None
    # With ``write``: sends what ``write`` refused, and ``detach`` takes the subscription's
    # "end" once it is live, after which the stream finishes and no task waits for its events
    # (the caller ends it on unsubscribe or disconnect).
    send: Callable[[object], Awaitable[None]] | None = None
    detach: Callable[[Callable[[], None]], None] | None = None
    # More topics for the same subscriber (a dashboard watches the diary, billing, plans and
    # recalls): one queue, every topic's events in the practice's sequence order.
    also: tuple[str, ...] = ()

    @property
    def topics(self) -> tuple[str, ...]:
        return (self.topic, *self.also)


_MISSING = object()


async def _offer(group: Group, sequence: int, item: object) -> None:
    """Queues one rendered event for the group: encoded once per ``encode_key`` in the group."""
    encoded: dict[Hashable, object] = {}
    last_key: Hashable = _MISSING
    value: object = None
    handed = 0
    for subscriber in list(group.subscribers):
        if subscriber.stopped is not None or not subscriber.accepts(item):
            continue
        encode = subscriber.encode
        if encode is None:
            subscriber.push(sequence, item)
            handed += 1
            continue
        key = subscriber.encode_key
        if key is not last_key:  # interned keys: one identity test, not a tuple hash, per socket
            value = encoded.get(key, _MISSING)
            if value is _MISSING:
                value = encoded[key] = await encode(item)
            last_key = key
        if value is not None:  # None: the encoder withheld the event from this subscriber
            subscriber.push(sequence, value)
            handed += 1
    if handed:
        FANOUT_DELIVERIES.inc(handed)


class Feed:
    def __init__(self, fanout: Fanout, practice_id: UUID) -> None:
        self.fanout = fanout
        self.practice_id = practice_id
        self.groups: dict[GroupKey, Group] = {}
        self.watchers: dict[Hashable, set[Subscriber]] = {}  # identity -> its subscribers
        self.delivered = 0
        self.wanted = 0  # highest sequence announced
        self.catch_up = False  # read to the end of the table, not just to ``wanted``
        self.lock = asyncio.Lock()
        self.opening = asyncio.Lock()
        self.wake = asyncio.Event()
        self.listeners: dict[str, Callable[[], None]] = {}
        self.task: asyncio.Task[None] | None = None
        self.closed = False
        self.failing = False  # logged "could not deliver"; log again only once it recovers

    @property
    def topics(self) -> set[str]:
        return {key[0] for key, group in self.groups.items() if group.subscribers}

    def announce(self, raw: bytes | str) -> None:
        envelope = Envelope.decode(raw)
        if envelope is None or envelope.practice_id != self.practice_id:
            return
        if envelope.sequence > self.wanted:
            self.wanted = envelope.sequence
            self.wake.set()

    def resync(self) -> None:
        self.catch_up = True
        self.wake.set()

    async def open(self, topic: str) -> None:
        async with self.opening:
            if topic in self.listeners:
                return
            channel = channel_for(self.practice_id, topic)
            self.listeners[topic] = await self.fanout.bus.listen(channel, self.announce)
            if self.task is None:
                # Listening first, then reading the head: anything committed later is announced.
                self.delivered = self.wanted = await store.last_sequence(self.practice_id)
                self.task = asyncio.get_running_loop().create_task(self._run())
            else:
                self.resync()  # a new topic's recent events were never announced to us

    async def _run(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            if self.closed:
                return
            try:
                while not self.closed and (self.catch_up or self.wanted > self.delivered):
                    catch_up, self.catch_up = self.catch_up, False
                    async with self.lock:
                        more = await self._deliver(None if catch_up else self.wanted)
                    self.catch_up = self.catch_up or more
                if self.failing:
                    log.info("feed delivering again", extra={"practice": str(self.practice_id)})
                    self.failing = False
            except asyncio.CancelledError:
                raise
            except Exception:  # database briefly down: retry; the table still has everything
                if not self.failing:
                    log.warning("feed could not deliver; retrying", exc_info=True)
                    self.failing = True
                self.catch_up = True
                await asyncio.sleep(0.5)
                self.wake.set()

    async def _deliver(self, upto: int | None) -> bool:
        """Delivers one batch; True when more rows may be waiting."""
        limit = self.fanout.batch
        rows = await store.after(
            self.practice_id, self.delivered, upto=upto, topics=self.topics, limit=limit
        )
        if rows:
            await self._authorise()
        for row in rows:
            rendered = [
                (group, await group.render(row))
                for key, group in list(self.groups.items())
                if key[0] == row.topic and group.subscribers
            ]
            for group, item in rendered:
                if item is not None:
                    await _offer(group, row.sequence, item)
            self.delivered = row.sequence
        if len(rows) < limit and upto is not None:
            self.delivered = max(self.delivered, upto)
        return len(rows) == limit

    async def _authorise(self) -> None:
        """One query for every distinct identity; each identity's verdict applies to its
        subscribers (no per-socket hashing: a board's thousand sockets are a few people)."""
        identities = list(self.watchers)
        if not identities:
            return
        now = time.time()
        verdicts = await self.fanout.authorise(self.practice_id, identities)
        for identity in identities:
            scopes = verdicts.get(identity)
            for subscriber in list(self.watchers.get(identity, ())):
                if subscriber.expires_at is not None and subscriber.expires_at <= now:
                    self.fanout.end(self, subscriber, EXPIRED)
                elif scopes is None:
                    self.fanout.end(self, subscriber, REVOKED)
                elif scopes is not subscriber.scopes and scopes != subscriber.scopes:
                    self.fanout.end(self, subscriber, CHANGED)

    def add(self, watch: Watch) -> Subscriber:
        subscriber = Subscriber(
            identity=watch.identity,
            scopes=watch.scopes,
            accepts=watch.accepts,
            expires_at=watch.expires_at,
            limit=self.fanout.queue_size,
            on_stop=watch.on_stop,
            encode=watch.encode,
            encode_key=watch.encode_key,
            write=watch.write,
            send=watch.send,
        )
        for topic in watch.topics:  # one group per topic: a row is offered once, by its topic
            key: GroupKey = (topic, watch.scopes, watch.render_key)
            group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = Group(render=watch.render)
            group.subscribers.add(subscriber)
        self.watchers.setdefault(subscriber.identity, set()).add(subscriber)
        return subscriber

    def watchers_of(self) -> set[Subscriber]:
        """Every subscriber once (one watching several topics sits in several groups)."""
        return {s for group in self.groups.values() for s in group.subscribers}

    def remove(self, subscriber: Subscriber) -> bool:
        """Forgets the subscriber; True when the feed has nobody left."""
        for key, group in list(self.groups.items()):
            group.subscribers.discard(subscriber)
            if not group.subscribers:
                del self.groups[key]
        same = self.watchers.get(subscriber.identity)
        if same is not None:
            same.discard(subscriber)
            if not same:
                del self.watchers[subscriber.identity]
        for topic in list(self.listeners):
            if topic not in self.topics:
                self.listeners.pop(topic)()
        return not self.groups

    async def close(self) -> None:
        for stop in self.listeners.values():
            stop()
        self.listeners.clear()
        self.closed = True
        self.wake.set()
        if self.task is not None:
            # Never cancelled mid-query: a driver thread would answer into a closed loop.
            try:
                await asyncio.wait_for(asyncio.shield(self.task), 5)
            except TimeoutError:
                self.task.cancel()


class Fanout:
    def __init__(
        self,
        bus: Bus,
        *,
        authorise: Authoriser,
        queue_size: int = 256,
        batch: int = 500,
        sweep_seconds: float = 1.0,
        bus_down_poll_seconds: float = 3.0,
    ) -> None:
        self.bus = bus
        self.authorise = authorise
        self.queue_size = queue_size
        self.batch = batch
        self.sweep_seconds = sweep_seconds
        self.bus_down_poll_seconds = bus_down_poll_seconds
        self.feeds: dict[UUID, Feed] = {}
        self._sweeper: asyncio.Task[None] | None = None
        self._poller: asyncio.Task[None] | None = None
        self._closing = False
        bus.on_reconnect(self._bus_reconnected)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._sweeper = loop.create_task(self._sweep())
        self._poller = loop.create_task(self._poll_while_bus_down())

    async def stop(self) -> None:
        self.shut_down()
        for task in (self._sweeper, self._poller):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        for feed in list(self.feeds.values()):
            await feed.close()
        self.feeds.clear()

    def shut_down(self) -> None:
        """Ends every subscription with 1001 (clean shutdown); safe to call twice."""
        self._closing = True
        for feed in list(self.feeds.values()):
            for group in list(feed.groups.values()):
                for subscriber in list(group.subscribers):
                    subscriber.stop(SHUTDOWN)

    @property
    def subscriber_count(self) -> int:
        return sum(len(f.watchers_of()) for f in self.feeds.values())

    @property
    def queue_depth(self) -> int:
        """Events waiting in subscribers' queues (written to no socket yet), all feeds."""
        return sum(len(s.pending) for f in self.feeds.values() for s in f.watchers_of())

    async def watch(self, watch: Watch, *, since: int | None) -> AsyncIterator[tuple[int, Any]]:
        """Replays ``(since, now]`` from the table, then live events: no gap, no duplicate.

        Registration and reading the feed's delivered mark happen under the feed's lock, so
        every event is either in the replay (<= mark) or offered live (> mark), never both.
        """
        if self._closing:
            raise Stopped(SHUTDOWN)
        feed = self.feeds.get(watch.practice_id)
        if feed is None:
            feed = self.feeds[watch.practice_id] = Feed(self, watch.practice_id)
        subscriber: Subscriber | None = None
        try:
            for topic in watch.topics:
                await feed.open(topic)
            async with feed.lock:
                subscriber = feed.add(watch)
                mark = feed.delivered
            last = mark if since is None else since
            while since is not None and last < mark:
                rows = await store.after(
                    watch.practice_id, last, upto=mark, topics=watch.topics, limit=self.batch
                )
                if not rows:
                    break
                for row in rows:
                    item = await watch.render(row)
                    if subscriber.stopped is not None:
                        raise Stopped(subscriber.stopped)
                    if item is not None and watch.accepts(item):
                        value = item if watch.encode is None else await watch.encode(item)
                        if value is not None:  # withheld from this subscriber by its encoder
                            yield row.sequence, value
                    last = row.sequence
            subscriber.last = max(last, mark)
            subscriber.live = True  # from here on the feed may write events directly
            if watch.detach is not None and watch.write is not None and watch.send is not None:
                if subscriber.stopped is not None:
                    raise Stopped(subscriber.stopped)
                subscriber.detach()
                watch.detach(functools.partial(self.end, feed, subscriber, None))
                return
            while True:
                yield await subscriber.next()
        finally:
            if subscriber is not None:
                if not subscriber.detached:
                    self.end(feed, subscriber, None)
            elif not feed.groups:
                await self._drop(feed)

    def end(self, feed: Feed, subscriber: Subscriber, reason: Stop | None) -> None:
        if reason is not None:
            subscriber.stop(reason)
        if reason is None:
            subscriber.cancel_drain()  # unsubscribed or disconnected: its backlog is moot
        if feed.remove(subscriber) and self.feeds.get(feed.practice_id) is feed:
            task = asyncio.get_running_loop().create_task(self._drop(feed))
            task.add_done_callback(lambda t: t.cancelled() or t.exception())

    async def _drop(self, feed: Feed) -> None:
        if not feed.groups and self.feeds.get(feed.practice_id) is feed:
            del self.feeds[feed.practice_id]
            await feed.close()

    def _bus_reconnected(self) -> None:
        for feed in self.feeds.values():
            feed.resync()

    async def _poll_while_bus_down(self) -> None:
        """No envelope arrives while the bus is down: read the table on a timer instead."""
        while True:
            await asyncio.sleep(self.bus_down_poll_seconds)
            if not self.bus.up:
                for feed in list(self.feeds.values()):
                    feed.resync()

    async def _sweep(self) -> None:
        """Token expiry ends a subscription even when no event arrives."""
        while True:
            await asyncio.sleep(self.sweep_seconds)
            now = time.time()
            for feed in list(self.feeds.values()):
                for group in list(feed.groups.values()):
                    for subscriber in list(group.subscribers):
                        if subscriber.expires_at is not None and subscriber.expires_at <= now:
                            self.end(feed, subscriber, EXPIRED)


__all__ = ["Fanout", "Feed", "Renderer", "Watch"]
