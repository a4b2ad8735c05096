"""GET /health: embedded, production-shaped with real outages, and the monitor's own guarantees."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
from redis.asyncio import Redis

from docat.heartbeat import RedisHeartbeats, heartbeating
from graphql_api.health import HealthMonitor
from tests.fixtures.redis_server import RedisServer
from tests.ops.conftest import (
    private_redis,
    production_settings,
    proxied_postgres,
    run_isolated,
    running_app,
    wait_for_value,
)


async def health(http: httpx.AsyncClient) -> tuple[int, dict[str, Any]]:
    response = await http.get("/health")
    return response.status_code, response.json()


# ---- embedded (the session app: SQLite or PostgreSQL, no Redis) ---------------------------


async def test_embedded_health_is_ok(http: httpx.AsyncClient) -> None:
    code, body = await health(http)
    assert code == 200
    assert body["status"] == "ok"
    checks = body["checks"]
    assert set(checks) == {"database", "redis", "storage", "workers"}
    assert checks["database"]["status"] == "ok"
    assert checks["storage"]["status"] == "ok"
    assert checks["redis"]["status"] == "disabled"
    # The API process is the worker: its in-process heartbeat is what the check reads.
    assert checks["workers"]["status"] == "ok"
    assert checks["workers"]["mode"] == "embedded"


# ---- production: PostgreSQL behind a proxy, a private Redis -------------------------------


async def test_health_goes_down_and_recovers_with_postgres_and_redis(tmp_path: Path) -> None:
    async def scenario() -> None:
        with private_redis(tmp_path / "redis") as redis_server:
            async with proxied_postgres() as (database_url, proxy):
                settings = production_settings(tmp_path / "data", database_url, redis_server.url)
                async with running_app(settings) as (_app, http):
                    await check_outages(http, proxy, redis_server)

    await run_isolated(scenario)


async def check_outages(http: httpx.AsyncClient, proxy: Any, redis_server: RedisServer) -> None:
    def status_is(expected: str) -> Any:
        return lambda result: result[1]["status"] == expected

    # No worker has ever beaten: the API works, jobs would wait.
    code, body = await health(http)
    assert (code, body["status"]) == (200, "degraded"), body
    assert body["checks"]["redis"]["status"] == "ok"
    assert body["checks"]["database"]["status"] == "ok"
    assert body["checks"]["workers"] == {**body["checks"]["workers"], "status": "degraded", "workers": 0}

    worker_redis = Redis.from_url(redis_server.url, socket_connect_timeout=1, socket_timeout=1)
    try:
        # A worker elsewhere, beating fast so it is back soon after Redis restarts empty.
        async with heartbeating(RedisHeartbeats(worker_redis), worker="ops-test-worker", interval=0.2):
            code, body = await wait_for_value(lambda: health(http), status_is("ok"))
            assert (code, body["status"]) == (200, "ok"), body
            assert body["checks"]["workers"]["workers"] == 1

            # Redis goes away.
            redis_server.stop()
            code, body = await wait_for_value(lambda: health(http), status_is("down"))
            assert code == 503, body
            assert body["status"] == "down"
            assert body["checks"]["redis"]["status"] == "down"
            assert body["checks"]["database"]["status"] == "ok"

            redis_server.start()
            code, body = await wait_for_value(lambda: health(http), status_is("ok"))
            assert (code, body["status"]) == (200, "ok"), body

            # PostgreSQL becomes unreachable (the shared server keeps running for everyone else).
            await proxy.close()
            code, body = await wait_for_value(lambda: health(http), status_is("down"))
            assert code == 503, body
            assert body["checks"]["database"]["status"] == "down"
            assert body["checks"]["redis"]["status"] == "ok"

            await proxy.start()
            code, body = await wait_for_value(lambda: health(http), status_is("ok"))
            assert (code, body["status"]) == (200, "ok"), body
    finally:
        await worker_redis.aclose()


async def test_stale_worker_heartbeat_is_degraded(tmp_path: Path) -> None:
    async def scenario() -> None:
        with private_redis(tmp_path / "redis") as redis_server:
            async with proxied_postgres() as (database_url, _proxy):
                settings = production_settings(tmp_path / "data", database_url, redis_server.url)
                async with running_app(settings) as (_app, http):
                    redis = Redis.from_url(redis_server.url)
                    try:
                        # Still within its key's TTL, but long silent: a blocked worker loop.
                        await RedisHeartbeats(redis).beat("stuck-worker", time.time() - 300)
                        code, body = await wait_for_value(
                            lambda: health(http), lambda r: r[1]["checks"]["workers"].get("workers") == 1
                        )
                    finally:
                        await redis.aclose()
        assert code == 200
        assert body["status"] == "degraded"
        assert body["checks"]["workers"]["status"] == "degraded"
        assert body["checks"]["workers"]["heartbeatAgeSeconds"] >= 300

    await run_isolated(scenario)


# ---- the monitor: timeouts, caching, sharing ----------------------------------------------


class SlowStorage:
    """A storage whose check never answers, and even ignores the first cancellation."""

    def __init__(self) -> None:
        self.calls = 0
        self.release = asyncio.Event()

    async def check(self) -> None:
        self.calls += 1
        try:
            await self.release.wait()
        except asyncio.CancelledError:
            await self.release.wait()  # a stubborn driver: keeps waiting after being cancelled


class CountingStorage:
    def __init__(self) -> None:
        self.calls = 0

    async def check(self) -> None:
        self.calls += 1
        await asyncio.sleep(0.05)


def fake_resources(storage: Any) -> Any:
    settings = SimpleNamespace(embedded=True)
    return SimpleNamespace(settings=settings, storage=storage, bus=SimpleNamespace(connected=True))


async def test_a_hanging_check_is_down_and_never_holds_the_response(app: Any) -> None:
    storage = SlowStorage()
    monitor = HealthMonitor(fake_resources(storage), timeout=0.2, cache_seconds=0)
    try:
        # Bounded only to fail the test instead of hanging it; the monitor itself answers after 0.2 s.
        report = await asyncio.wait_for(monitor.report(), 10)
    finally:
        storage.release.set()
    assert report["status"] == "down"
    assert report["checks"]["storage"]["status"] == "down"
    assert "no answer" in report["checks"]["storage"]["error"]
    assert report["checks"]["database"]["status"] == "ok"


async def test_reports_are_cached_and_concurrent_callers_share_one_run(app: Any) -> None:
    storage = CountingStorage()
    monitor = HealthMonitor(fake_resources(storage), cache_seconds=60)
    reports = await asyncio.gather(*(monitor.report() for _ in range(20)))
    assert storage.calls == 1
    assert all(report is reports[0] for report in reports)
    await monitor.report()
    assert storage.calls == 1

    uncached = HealthMonitor(fake_resources(storage), cache_seconds=0)
    await uncached.report()
    await uncached.report()
    assert storage.calls == 3


@pytest.mark.parametrize("failure", [RuntimeError("boom"), ConnectionRefusedError()])
async def test_a_failing_check_reports_its_error_type(app: Any, failure: Exception) -> None:
    class Failing:
        async def check(self) -> None:
            raise failure

    report = await HealthMonitor(fake_resources(Failing()), cache_seconds=0).report()
    assert report["status"] == "down"
    assert report["checks"]["storage"]["error"] == type(failure).__name__
