"""What an API process runs beside its requests: /health's monitor, opened by the app lifespan.

    async with api_background(resources, host.local_heartbeats):   # graphql_api/app.py

Production (REDIS_URL set): a small Redis client of /health's own, with short
socket timeouts, for its PING and for reading the workers' heartbeats. The
workers (`docat worker`) beat and sweep retention themselves (jobs/worker.py).

Embedded (no REDIS_URL): this process is the worker too; the job host
(jobs/host.py) beats into an in-process store, which /health's workers check
reads, and runs the retention sweep.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from redis.asyncio import Redis

from docat.heartbeat import LocalHeartbeats, RedisHeartbeats
from docat.resources import Resources
from graphql_api.health import CHECK_TIMEOUT, HealthMonitor

log = logging.getLogger(__name__)


def open_health_redis(url: str) -> Redis:
    """A client that fails fast: /health must answer "down", not wait for TCP's own timeouts."""
    return Redis.from_url(
        url,
        socket_connect_timeout=CHECK_TIMEOUT,
        socket_timeout=CHECK_TIMEOUT,
        # Few concurrent users: the health run (one at a time) and nothing else.
        max_connections=4,
    )


@contextlib.asynccontextmanager
async def api_background(
    resources: Resources, local_heartbeats: LocalHeartbeats | None
) -> AsyncIterator[None]:
    settings = resources.settings
    async with contextlib.AsyncExitStack() as stack:
        if settings.redis_url is None:
            monitor = HealthMonitor(resources, heartbeats=local_heartbeats)
        else:
            redis = open_health_redis(settings.redis_url)
            stack.push_async_callback(redis.aclose)
            monitor = HealthMonitor(resources, redis=redis, heartbeats=RedisHeartbeats(redis))
        resources.provide(HealthMonitor, monitor)
        try:
            yield
        finally:
            resources.provide(HealthMonitor, None)
