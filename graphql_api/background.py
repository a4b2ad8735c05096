"""What an API process runs beside its requests, opened and closed by the app lifespan.

    async with api_background(resources):      # in graphql_api/app.py's lifespan
        yield

Production (REDIS_URL set): a small Redis client of /health's own, with short
socket timeouts, for its PING and for reading the workers' heartbeats. The
workers (`docat worker`) beat and sweep retention themselves (jobs/worker.py).

Embedded (no REDIS_URL): this process is the worker too, so it beats into an
in-process store (what /health's workers check reads) and runs the retention
sweep every RETENTION_INTERVAL_SECONDS, the first a minute after start-up so a
restart loop does not sweep in a loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from docat.heartbeat import LocalHeartbeats, RedisHeartbeats, heartbeating
from docat.resources import Resources
from graphql_api.health import CHECK_TIMEOUT, EXTRAS_KEY, HealthMonitor
from jobs.retention import sweep_retention

log = logging.getLogger(__name__)

RETENTION_INTERVAL_SECONDS = 3600.0
RETENTION_FIRST_DELAY_SECONDS = 60.0


def open_health_redis(url: str) -> Redis:
    """A client that fails fast: /health must answer "down", not wait for TCP's own timeouts."""
    return Redis.from_url(
        url,
        socket_connect_timeout=CHECK_TIMEOUT,
        socket_timeout=CHECK_TIMEOUT,
        # Few concurrent users: the health run (one at a time) and nothing else.
        max_connections=4,
    )


async def _retention_forever(resources: Resources, interval: float, first_delay: float) -> None:
    await asyncio.sleep(first_delay)
    while True:
        try:
            await sweep_retention(resources)
        except Exception:  # the database is down now; the next run retries
            log.exception("retention sweep failed")
        await asyncio.sleep(interval)


@contextlib.asynccontextmanager
async def periodic_retention(
    resources: Resources,
    interval: float = RETENTION_INTERVAL_SECONDS,
    first_delay: float = RETENTION_FIRST_DELAY_SECONDS,
) -> AsyncIterator[None]:
    """The embedded stand-in for the worker's retention cron."""
    task = asyncio.create_task(_retention_forever(resources, interval, first_delay), name="docat-retention")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@contextlib.asynccontextmanager
async def api_background(resources: Resources) -> AsyncIterator[None]:
    settings = resources.settings
    async with contextlib.AsyncExitStack() as stack:
        if settings.redis_url is None:
            heartbeats = LocalHeartbeats()
            await stack.enter_async_context(heartbeating(heartbeats))
            await stack.enter_async_context(periodic_retention(resources))
            monitor = HealthMonitor(resources, heartbeats=heartbeats)
        else:
            redis = open_health_redis(settings.redis_url)
            stack.push_async_callback(redis.aclose)
            monitor = HealthMonitor(resources, redis=redis, heartbeats=RedisHeartbeats(redis))
        resources.extras[EXTRAS_KEY] = monitor
        try:
            yield
        finally:
            resources.extras.pop(EXTRAS_KEY, None)
