"""A worker's self-reporting: heartbeat keys, the heartbeat gauge, queue depth, its metrics port."""

from __future__ import annotations

import asyncio
import time
import urllib.request
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from docat import metrics
from docat.heartbeat import KEY_PREFIX, LocalHeartbeats, RedisHeartbeats, heartbeating, metric_label
from docat.settings import load_settings
from jobs.monitoring import queue_depth, start_metrics_server, worker_monitoring
from tests.ops.conftest import private_redis, wait_for_value

# Bounded waits: generous on a shared machine, never asserted as durations.
WAIT = 30.0


@pytest.fixture
async def redis(tmp_path: Path) -> AsyncIterator[Redis]:
    with private_redis(tmp_path / "redis") as server:
        client = Redis.from_url(server.url, socket_connect_timeout=2, socket_timeout=2)
        try:
            yield client
        finally:
            await client.aclose()


def gauge(worker: str) -> float | None:
    return metrics.WORKER_HEARTBEAT.labels(metric_label(worker))._value.get()  # type: ignore[no-any-return]


async def test_heartbeats_land_in_redis_and_in_the_gauge_and_leave_on_exit(redis: Redis) -> None:
    store = RedisHeartbeats(redis)
    started = time.time()
    async with heartbeating(store, worker="ops-host:1", interval=0.05) as name:
        assert name == "ops-host:1"
        first = await store.newest()
        assert first is not None and first.worker == "ops-host:1" and first.at >= started
        # A live key expires on its own if the worker dies without cleaning up.
        ttl = await redis.ttl(KEY_PREFIX + "ops-host:1")
        assert 0 < ttl <= 30
        later = await wait_for_value(store.newest, lambda beat: beat is not None and beat.at > first.at)
        assert later is not None and later.at > first.at
        assert (gauge("ops-host:1") or 0) >= later.at
    # A clean stop removes the key at once: the worker is not "alive" for another TTL.
    assert await store.newest() is None


async def test_the_newest_of_several_workers_wins_and_stray_keys_are_ignored(redis: Redis) -> None:
    store = RedisHeartbeats(redis)
    now = time.time()
    await store.beat("a:1", now - 20)
    await store.beat("b:2", now - 5)
    await redis.set(KEY_PREFIX + "garbage", "not a number")
    beat = await store.newest()
    assert beat is not None
    assert (beat.worker, beat.workers) == ("b:2", 2)
    assert beat.at == pytest.approx(now - 5)
    assert beat.age(now) == pytest.approx(5)


async def test_a_redis_outage_does_not_stop_the_beat(tmp_path: Path) -> None:
    with private_redis(tmp_path / "redis") as server:
        client = Redis.from_url(server.url, socket_connect_timeout=1, socket_timeout=1)
        store = RedisHeartbeats(client)
        try:
            async with heartbeating(store, worker="ops-outage:1", interval=0.05):
                server.stop()
                # The loop keeps beating into the gauge while Redis is gone...
                mark = time.time()

                async def beaten_at() -> float | None:
                    return gauge("ops-outage:1")

                assert (await wait_for_value(beaten_at, lambda at: (at or 0) > mark) or 0) > mark
                server.start()
                # ...and into Redis again once it is back (it restarted empty).
                beat = await wait_for_value(store.newest, lambda b: b is not None, WAIT)
                assert beat is not None and beat.worker == "ops-outage:1"
        finally:
            await client.aclose()


async def test_local_heartbeats_for_the_embedded_worker() -> None:
    store = LocalHeartbeats()
    assert await store.newest() is None
    async with heartbeating(store, worker="embedded:1", interval=60):
        beat = await store.newest()
        assert beat is not None and beat.worker == "embedded:1" and beat.workers == 1
    assert await store.newest() is None


async def test_queue_depth_counts_jobs_due_now_not_deferred_ones(redis: Redis) -> None:
    queue = "ops-test:queue"
    now_ms = int(time.time() * 1000)
    await redis.zadd(queue, {"job-a": now_ms - 1000, "job-b": now_ms - 10, "cron-next": now_ms + 3_600_000})
    assert await queue_depth(redis, queue) == 2

    settings = load_settings(worker_metrics_port=None)
    async with worker_monitoring(settings, redis, queue_name=queue, interval=0.05, serve_metrics=False):
        await redis.zadd(queue, {"job-c": now_ms})

        async def sampled() -> float:
            return float(metrics.QUEUE_DEPTH._value.get())

        assert await wait_for_value(sampled, lambda value: value == 3) == 3
        assert (await RedisHeartbeats(redis).newest()) is not None


async def test_the_worker_metrics_port_serves_prometheus_text() -> None:
    port = start_metrics_server(0)
    assert port
    metrics.record_worker_heartbeat(metric_label("ops-port:1"))

    def fetch() -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            return response.read().decode()

    body = await asyncio.to_thread(fetch)
    assert 'docat_worker_heartbeat_timestamp_seconds{worker="ops-port-1"}' in body
    assert "docat_queue_depth" in body


async def test_a_taken_metrics_port_is_logged_not_fatal() -> None:
    port = start_metrics_server(0)
    assert port
    # A second worker on the same host and port: it runs on without a metrics server.
    assert start_metrics_server(port) is None
