"""publish/subscribe through the bus, once per backend (memory://, and the shared Redis)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from redis import asyncio as aioredis

from docat.events import (
    ALL_JOBS_CHANNEL,
    EventBus,
    is_terminal,
    job_channel,
    pages_channel,
    user_channel,
)

from .conftest import SHARED_REDIS_URL, WAIT, next_event, open_bus, wait_until


def test_channel_names() -> None:
    assert job_channel(42) == "job:42"
    assert user_channel("u1") == "user:u1"
    assert pages_channel("d1") == "pages:d1"
    assert ALL_JOBS_CHANNEL == "jobs"


async def test_publish_reaches_every_subscriber(bus: EventBus) -> None:
    channel = job_channel("d1")
    async with bus.subscribe([channel]) as first, bus.subscribe([channel, user_channel("u1")]) as second:
        await bus.publish(channel, {"documentId": "d1", "n": 1})
        await bus.publish(user_channel("u1"), {"documentId": "d1", "n": 2})
        assert await next_event(first) == {"documentId": "d1", "n": 1}
        assert await next_event(second) == {"documentId": "d1", "n": 1}
        assert await next_event(second) == {"documentId": "d1", "n": 2}


async def test_concurrent_subscribers_of_a_new_channel_all_receive(bus: EventBus) -> None:
    # broadcaster 0.3.1 loses all but one queue when two subscribe() race on a new channel;
    # the bus joins each channel once, under its own lock.
    channel = job_channel("crowd")
    ready = asyncio.Event()
    entered: list[int] = []

    async def one(i: int) -> dict[str, Any]:
        async with bus.subscribe([channel]) as sub:
            entered.append(i)
            if len(entered) == 20:
                ready.set()
            return await next_event(sub)

    readers = [asyncio.create_task(one(i)) for i in range(20)]
    await asyncio.wait_for(ready.wait(), WAIT)
    await bus.publish(channel, {"n": 1})
    assert await asyncio.wait_for(asyncio.gather(*readers), WAIT) == [{"n": 1}] * 20


async def test_publish_many_and_duplicate_channels_deliver_once_per_channel(bus: EventBus) -> None:
    channels = [job_channel("d2"), ALL_JOBS_CHANNEL]
    async with bus.subscribe([ALL_JOBS_CHANNEL, ALL_JOBS_CHANNEL]) as sub:
        await bus.publish_many(channels, {"n": 1})
        await bus.publish(ALL_JOBS_CHANNEL, {"n": 2})
        assert await next_event(sub) == {"n": 1}
        assert await next_event(sub) == {"n": 2}


async def test_publish_many_keeps_the_order_on_every_channel(bus: EventBus) -> None:
    channels = [job_channel("d3"), user_channel("u3"), ALL_JOBS_CHANNEL]
    async with (
        bus.subscribe([channels[0]]) as job,
        bus.subscribe([channels[1]]) as user,
        bus.subscribe([channels[2]]) as every,
    ):
        for n in range(1, 4):
            await bus.publish_many(channels, {"documentId": "d3", "n": n})
        for sub in (job, user, every):
            assert [(await next_event(sub))["n"] for _ in range(3)] == [1, 2, 3]


async def test_events_keep_enum_and_unicode_values(bus: EventBus) -> None:
    from models.documents import JobStatus

    async with bus.subscribe(["t"]) as sub:
        await bus.publish("t", {"status": JobStatus.FAILED, "message": "päge ✓"})
        assert await next_event(sub) == {"status": "FAILED", "message": "päge ✓"}


async def test_namespaces_isolate_buses(bus: EventBus) -> None:
    redis_url = SHARED_REDIS_URL if bus.pubsub_client_name else None
    other = await open_bus(redis_url)
    try:
        async with bus.subscribe(["shared-name"]) as mine, other.subscribe(["shared-name"]) as theirs:
            await bus.publish("shared-name", {"from": "mine"})
            await other.publish("shared-name", {"from": "theirs"})
            assert await next_event(mine) == {"from": "mine"}
            assert await next_event(theirs) == {"from": "theirs"}
    finally:
        await other.close()


async def test_close_ends_open_subscriptions(memory_bus: EventBus) -> None:
    async with memory_bus.subscribe(["x"]) as sub:
        reader = asyncio.create_task(anext(sub, None))
        await asyncio.sleep(0)
        await memory_bus.close()
        assert await asyncio.wait_for(reader, WAIT) is None


async def test_one_redis_subscription_per_channel_released_with_the_last_subscriber(
    redis_bus: EventBus, redis_admin: aioredis.Redis
) -> None:
    channel = job_channel("refcount")
    wire = redis_bus.namespace + channel

    async def no_subscribers() -> bool:
        return dict(await redis_admin.pubsub_numsub(wire))[wire] == 0

    async with redis_bus.subscribe([channel]):
        async with redis_bus.subscribe([channel]) as second:
            assert dict(await redis_admin.pubsub_numsub(wire))[wire] == 1
            await redis_bus.publish(channel, {"n": 1})
            assert await next_event(second) == {"n": 1}
        assert dict(await redis_admin.pubsub_numsub(wire))[wire] == 1
    await wait_until(no_subscribers)
    # The channel can be joined again afterwards.
    async with redis_bus.subscribe([channel]) as again:
        await redis_bus.publish(channel, {"n": 2})
        assert await next_event(again) == {"n": 2}


async def test_subscriber_cancelled_while_subscribing_leaves_nothing_behind(
    redis_bus: EventBus, redis_admin: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    channel = job_channel("cancelled-join")
    wire = redis_bus.namespace + channel

    async def subscribe_forever() -> None:
        async with redis_bus.subscribe([channel]):
            await asyncio.Event().wait()

    task = asyncio.create_task(subscribe_forever())
    await asyncio.sleep(0)  # now inside subscribe(), waiting for Redis to confirm
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    async def unsubscribed() -> bool:
        return dict(await redis_admin.pubsub_numsub(wire))[wire] == 0 and wire not in set(
            await redis_admin.pubsub_channels(wire)
        )

    # Joining again works, and leaving releases the Redis subscription.
    async with redis_bus.subscribe([channel]) as sub:
        await redis_bus.publish(channel, {"n": 1})
        assert await next_event(sub) == {"n": 1}
    await wait_until(unsubscribed)
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_stuck_subscriber_stays_bounded_and_does_not_stall_others(bus: EventBus) -> None:
    channel = job_channel("busy")
    count = 10_000
    maxsize = 64

    def event(i: int, **extra: Any) -> dict[str, Any]:
        return {"documentId": "busy", "status": "PROCESSING", "stage": "EXTRACTING", "page": i} | extra

    async with bus.subscribe([channel], maxsize=maxsize) as stuck, bus.subscribe([channel]) as reader_sub:
        received: list[dict[str, Any]] = []

        async def read_all() -> None:
            async for item in reader_sub:
                received.append(item)
                if is_terminal(item):
                    return

        reader = asyncio.create_task(read_all())
        largest = 0
        for i in range(count):
            await bus.publish(channel, event(i))
            # Like a real job (and the Redis round trip), let the loop run between events.
            await asyncio.sleep(0)
            largest = max(largest, len(stuck))
        terminal = event(count, status="COMPLETED", stage="DONE")
        await bus.publish(channel, terminal)
        await asyncio.wait_for(reader, WAIT)

        assert received == [event(i) for i in range(count)] + [terminal]
        assert largest <= maxsize
        await wait_until(lambda: stuck.dropped + len(stuck) == count + 1)
        left = [stuck._pop() for _ in range(len(stuck))]
        assert left[0] == event(0)  # the first event of the stage: sticky
        assert left[-1] == terminal
        assert len(left) <= maxsize
