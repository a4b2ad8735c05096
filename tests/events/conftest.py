"""Buses for the event tests: in-memory, the shared Redis (isolated by a namespace), and helpers.

Every wait is bounded by WAIT (generous: the machine is shared), never asserted on duration.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
from redis import asyncio as aioredis

from docat.events import EventBus, RedisOptions, Subscription, is_resync, open_event_bus
from docat.settings import load_settings
from tests.fixtures import waiting
from tests.fixtures.redis_server import SHARED_REDIS_URL

WAIT = 20.0

# Short timings so loss is noticed and repaired quickly in tests.
FAST = RedisOptions(
    connect_timeout=1.0,
    ping_interval=0.3,
    ping_timeout=0.5,
    reconnect_backoff=(0.05, 0.3),
    publish_retry_for=0.5,
)


def namespace() -> str:
    return f"test-{uuid.uuid4().hex}:"


async def open_bus(redis_url: str | None, ns: str | None = None) -> EventBus:
    settings = load_settings(redis_url=redis_url)
    return await open_event_bus(settings, namespace=ns or namespace(), redis_options=FAST)


async def next_raw(subscription: Subscription, within: float = WAIT) -> dict[str, Any]:
    """The next item, resync markers included."""
    return await asyncio.wait_for(anext(subscription), within)


async def next_event(subscription: Subscription, within: float = WAIT) -> dict[str, Any]:
    """The next published event. Resync markers are skipped: another test session may run
    CLIENT KILL TYPE pubsub on the shared Redis, which our bus survives with a resync."""

    async def skip_markers() -> dict[str, Any]:
        async for event in subscription:
            if not is_resync(event):
                return event
        raise AssertionError("subscription ended")

    return await asyncio.wait_for(skip_markers(), within)


async def wait_until(predicate: Callable[[], object], within: float = WAIT) -> None:
    """Poll until true; TimeoutError after `within` seconds (a bound, not an expectation)."""
    await waiting.wait_until(predicate, within)


@pytest.fixture
async def redis_admin() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(SHARED_REDIS_URL, decode_responses=True)
    try:
        await client.ping()
    except Exception as exc:  # the shared Redis is part of the test environment
        pytest.fail(f"shared Redis at {SHARED_REDIS_URL} is not reachable: {exc!r}")
    yield client
    await client.aclose()


@pytest.fixture
async def memory_bus() -> AsyncIterator[EventBus]:
    bus = await open_bus(None)
    yield bus
    await bus.close()


@pytest.fixture
async def redis_bus(redis_admin: aioredis.Redis) -> AsyncIterator[EventBus]:
    bus = await open_bus(SHARED_REDIS_URL)
    assert bus.connected
    yield bus
    await bus.close()


@pytest.fixture(params=["memory", "redis"])
def bus(request: pytest.FixtureRequest) -> EventBus:
    """Each test using it runs once per backend."""
    fixture = "redis_bus" if request.param == "redis" else "memory_bus"
    result: EventBus = request.getfixturevalue(fixture)
    return result
