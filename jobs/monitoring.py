"""What a `docat worker` process reports about itself, started and stopped by jobs/worker.py.

    async with worker_monitoring(settings, ctx["redis"]):    # on_startup ... on_shutdown
        ...

- its metrics on their own port (WORKER_METRICS_PORT, 9100 by default; on
  WORKER_METRICS_HOST, 127.0.0.1 by default): an arq worker has no HTTP server,
  so prometheus_client serves them from a thread;
- a heartbeat every few seconds in Redis and in
  `docat_worker_heartbeat_timestamp_seconds` (docat/heartbeat.py);
- `docat_queue_depth`, sampled with each beat: jobs in arq's queue whose time
  has come (deferred ones, such as the next cron run, do not count).

Sampling here rather than in an arq cron job on purpose: cron runs are queued
jobs themselves, so they would wait behind exactly the backlog they measure.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from arq.constants import default_queue_name

from docat import metrics
from docat.background import running
from docat.heartbeat import INTERVAL_SECONDS, RedisHeartbeats, RunRegistry, heartbeating
from docat.settings import Settings

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)


async def queue_depth(redis: Redis, queue_name: str = default_queue_name) -> int:
    """Jobs due now in arq's queue (a sorted set scored by the time each may run, in ms)."""
    return int(await redis.zcount(queue_name, "-inf", int(time.time() * 1000)))


async def _sample_queue_depth(redis: Redis, queue_name: str, interval: float) -> None:
    while True:
        try:
            metrics.set_queue_depth(await queue_depth(redis, queue_name))
        except Exception as exc:  # Redis down: keep the last value, try again next time
            log.warning("queue depth not sampled: %s", type(exc).__name__)
        await asyncio.sleep(interval)


def start_metrics_server(port: int | None, host: str = "127.0.0.1") -> int | None:
    """Serve this process's metrics on `host`; None when the port is taken (another worker on this host).

    Loopback unless WORKER_METRICS_HOST says otherwise: the metrics carry no secrets but
    do tell who uses the service how much, and the port has no authentication.
    """
    wanted = metrics.DEFAULT_WORKER_METRICS_PORT if port is None else port
    try:
        bound = metrics.start_worker_metrics_server(wanted, addr=host)
    except OSError as exc:
        log.warning("worker metrics not served: %s:%d: %s", host, wanted, exc.strerror or exc)
        return None
    log.info("worker metrics on %s:%d/metrics", host, bound)
    return bound


@contextlib.asynccontextmanager
async def worker_monitoring(
    settings: Settings,
    redis: Redis,
    *,
    queue_name: str = default_queue_name,
    interval: float = INTERVAL_SECONDS,
    serve_metrics: bool = True,
    runs: RunRegistry | None = None,
) -> AsyncIterator[str]:
    """Metrics server, heartbeat and queue-depth sampling for one worker; yields its name."""
    if serve_metrics:
        start_metrics_server(settings.worker_metrics_port, settings.worker_metrics_host)
    async with (
        running(_sample_queue_depth(redis, queue_name, interval), name="docat-queue-depth"),
        heartbeating(RedisHeartbeats(redis, runs=runs), interval=interval) as name,
    ):
        yield name
