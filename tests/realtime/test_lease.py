"""The relay lease in process: one holder at a time, taken over once expired, handed back on
release; a holder that lost it cannot publish (fenced); two relays publish each event once."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator

import pytest

from db.models.outbox import DomainEvent, RelayLease
from db.outbox import PendingEvent
from db.uow import unit_of_work
from realtime.bus import Bus
from realtime.channels import channel_for
from realtime.envelopes import SCHEDULE, Envelope
from realtime.lease import PostgresLease, RedisLease
from realtime.relay import Relay
from tests import factories
from tests.databases import REDIS_URL, redis_reachable


@pytest.fixture
async def redis_bus() -> AsyncIterator[Bus]:
    redis_reachable()
    bus = Bus(REDIS_URL)
    await bus.connect()
    try:
        yield bus
    finally:
        await bus.disconnect()


def private_key() -> str:
    """The shared Redis may hold another server's lease: each test has a key of its own."""
    return f"test:lease:{uuid.uuid4().hex}"


async def test_a_redis_lease_has_one_holder_and_a_lost_one_cannot_publish(
    redis_bus: Bus,
) -> None:
    key = private_key()
    first, second = RedisLease(REDIS_URL, 0.4, key=key), RedisLease(REDIS_URL, 0.4, key=key)
    channel = f"test:lease:{uuid.uuid4().hex}"
    heard: list[str] = []
    stop = await redis_bus.listen(channel, heard.append)
    try:
        assert await first.hold()
        assert not await second.hold()
        assert await first.hold()  # renewed
        assert await first.publish(redis_bus, [(channel, b"from the holder")])
        assert not await second.publish(redis_bus, [(channel, b"from the other")])
        await asyncio.sleep(0.6)  # the first stalls past the TTL: the second takes over
        assert await second.hold()
        assert not await first.publish(redis_bus, [(channel, b"stale holder")])  # fenced
        assert await second.publish(redis_bus, [(channel, b"new holder")])
        await second.release()
        assert await first.hold()  # handed back: no wait for the TTL
        await asyncio.sleep(0.2)
        assert heard == ["from the holder", "new holder"]
    finally:
        stop()
        await first.release()


async def test_a_postgres_lease_row_has_one_holder_and_expires(db: str) -> None:
    first, second = PostgresLease(0.4), PostgresLease(0.4)
    if db.startswith("sqlite"):
        assert await first.hold()  # one process: always the leader
        assert await second.hold()
        return
    assert await first.hold()
    assert not await second.hold()
    assert (await RelayLease.get(name="outbox")).holder == first.holder
    await asyncio.sleep(0.6)
    assert await second.hold()
    assert not await first.hold()
    await second.release()
    assert await first.hold()


async def test_two_relays_publish_each_event_once(db: str, redis_bus: Bus) -> None:
    practice = await factories.practice()
    key = private_key()
    relays = [
        Relay(
            redis_bus,
            lease=RedisLease(REDIS_URL, 0.6, key=key),
            lease_seconds=0.6,
            poll_seconds=0.1,
            grace_seconds=0.2,
        )
        for _ in range(2)
    ]
    seen: Counter[int] = Counter()

    def heard(raw: str) -> None:
        envelope = Envelope.decode(raw)
        assert envelope is not None
        seen[envelope.sequence] += 1

    stop = await redis_bus.listen(channel_for(practice.id, SCHEDULE), heard)
    for relay in relays:
        await relay.start()
    try:
        for _ in range(10):
            async with unit_of_work() as uow:
                uow.emit(PendingEvent(practice.organization_id, practice.id, SCHEDULE, "x"))
        for _ in range(100):
            if len(seen) == 10:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.5)  # a few polls past the grace: a duplicate would show
        assert seen == Counter(dict.fromkeys(range(1, 11), 1))
        assert sorted(relay.published for relay in relays) == [0, 10]
        assert sum(relay.leader for relay in relays) == 1
        assert not await DomainEvent.filter(published_at__isnull=True).exists()
        # The leader stops (releases): the other leads at its next renewal and publishes.
        leader = next(relay for relay in relays if relay.leader)
        follower = next(relay for relay in relays if relay is not leader)
        await leader.stop()
        async with unit_of_work() as uow:
            uow.emit(PendingEvent(practice.organization_id, practice.id, SCHEDULE, "x"))
        for _ in range(100):
            if 11 in seen:
                break
            await asyncio.sleep(0.05)
        assert seen[11] == 1
        assert follower.leader
    finally:
        stop()
        for relay in relays:
            await relay.stop()
