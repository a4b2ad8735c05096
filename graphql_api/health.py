"""GET /health: one real check per component, run concurrently, each with its own deadline.

    {"status": "ok" | "degraded" | "down",
     "checks": {"database": {...}, "redis": {...}, "storage": {...}, "workers": {...}}}

- database: `SELECT 1` through the ORM's pool;
- redis: PING (production); "disabled" when embedded (no REDIS_URL);
- storage: a put/get/delete round trip (`storage.check()`);
- workers: the age of the newest worker heartbeat (docat/heartbeat.py):
  "degraded" when none is seen or the newest is older than STALE_AFTER_SECONDS;
  always "ok" when embedded, since the API process is then the worker.

The overall status is "down" when the database, Redis or storage is down (the
route answers 503, the load balancer takes the instance out), "degraded" when
only the workers are (jobs wait, but the API itself works: 200), else "ok".

A check that does not answer within CHECK_TIMEOUT is "down"; its task is
cancelled but never awaited, so even a check that ignores cancellation (a
driver blocked on a dead socket) cannot hold the response. Reports are cached
for CACHE_SECONDS and concurrent callers share one run, so a load balancer and
an orchestrator polling every few seconds cost one round of checks a second.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from docat.db import ping_database
from docat.heartbeat import STALE_AFTER_SECONDS, HeartbeatStore
from docat.resources import Resources

if TYPE_CHECKING:
    from redis.asyncio import Redis

CHECK_TIMEOUT = 2.0
CACHE_SECONDS = 1.0

OK, DEGRADED, DOWN, DISABLED = "ok", "degraded", "down", "disabled"
# Components whose failure takes the instance down; workers only degrade it.
CRITICAL = ("database", "redis", "storage")

Detail = dict[str, Any]


class HealthMonitor:
    """Runs the checks for one process; `redis` and `heartbeats` come from its lifespan."""

    def __init__(
        self,
        resources: Resources,
        *,
        redis: Redis | None = None,
        heartbeats: HeartbeatStore | None = None,
        timeout: float = CHECK_TIMEOUT,
        cache_seconds: float = CACHE_SECONDS,
        stale_after: float = STALE_AFTER_SECONDS,
    ) -> None:
        self.resources = resources
        self.redis = redis
        self.heartbeats = heartbeats
        self.timeout = timeout
        self.cache_seconds = cache_seconds
        self.stale_after = stale_after
        self._cached: tuple[float, Detail] | None = None
        self._running: asyncio.Task[Detail] | None = None
        # Timed-out checks still winding down; referenced so they are not collected mid-flight.
        self._abandoned: set[asyncio.Task[Any]] = set()

    async def report(self) -> Detail:
        now = time.monotonic()
        if self._cached and now - self._cached[0] < self.cache_seconds:
            return self._cached[1]
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._run_checks(), name="docat-health")
        # shield: one caller going away (client disconnect) must not cancel the others' run.
        return await asyncio.shield(self._running)

    async def _run_checks(self) -> Detail:
        names = ("database", "redis", "storage", "workers")
        results = await asyncio.gather(
            self._bounded(self._database),
            self._bounded(self._redis),
            self._bounded(self._storage),
            self._bounded(self._workers),
        )
        checks = dict(zip(names, results, strict=True))
        if any(checks[name]["status"] == DOWN for name in CRITICAL):
            status = DOWN
        elif any(check["status"] in (DOWN, DEGRADED) for check in checks.values()):
            status = DEGRADED
        else:
            status = OK
        report = {"status": status, "checks": checks}
        self._cached = (time.monotonic(), report)
        return report

    async def _bounded(self, check: Callable[[], Awaitable[Detail]]) -> Detail:
        started = time.perf_counter()
        task = asyncio.ensure_future(check())
        done, _pending = await asyncio.wait({task}, timeout=self.timeout)
        elapsed_ms = round((time.perf_counter() - started) * 1000, 1)
        if not done:
            task.cancel()
            self._abandoned.add(task)
            task.add_done_callback(self._forget_abandoned)
            return {"status": DOWN, "error": f"no answer within {self.timeout:g}s", "ms": elapsed_ms}
        try:
            detail = task.result()
        except Exception as exc:  # a health check reports every failure, it never raises
            return {"status": DOWN, "error": type(exc).__name__, "ms": elapsed_ms}
        return {**detail, "ms": elapsed_ms}

    def _forget_abandoned(self, task: asyncio.Task[Any]) -> None:
        self._abandoned.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log "never retrieved"

    # ---- the checks ----------------------------------------------------

    async def _database(self) -> Detail:
        await ping_database()
        return {"status": OK}

    async def _redis(self) -> Detail:
        if self.resources.settings.embedded:
            return {"status": DISABLED}
        if self.redis is None:
            # No client of our own (app built without the background lifespan): the event
            # bus's pub/sub connection is the best evidence we have.
            return {"status": OK if self.resources.bus.connected else DOWN, "via": "pubsub"}
        await self.redis.ping()
        return {"status": OK, "pubsub": self.resources.bus.connected}

    async def _storage(self) -> Detail:
        await self.resources.storage.check()
        return {"status": OK}

    async def _workers(self) -> Detail:
        embedded = self.resources.settings.embedded
        if self.heartbeats is None:
            if embedded:
                return {"status": OK, "mode": "embedded"}
            return {"status": DEGRADED, "error": "no heartbeat reader"}
        try:
            beat = await self.heartbeats.newest()
        except Exception as exc:
            # Redis is down (its own check says so); the workers are unknown, not down.
            return {"status": OK if embedded else DEGRADED, "error": type(exc).__name__}
        if beat is None:
            if embedded:
                return {"status": OK, "mode": "embedded"}
            return {"status": DEGRADED, "workers": 0, "error": "no worker heartbeat"}
        age = round(beat.age(), 1)
        detail: Detail = {"workers": beat.workers, "heartbeatAgeSeconds": age}
        if embedded:
            # The in-process worker: its jobs run in this loop; /health answering proves it turns.
            return {"status": OK, "mode": "embedded", **detail}
        if age > self.stale_after:
            return {"status": DEGRADED, **detail, "error": "worker heartbeat is stale"}
        return {"status": OK, **detail}


def health_monitor(resources: Resources) -> HealthMonitor:
    """This process's monitor; a plain one (no Redis client of its own) if the lifespan set none."""
    return resources.shared(HealthMonitor, lambda: HealthMonitor(resources))


async def check_health(resources: Resources) -> Detail:
    """The /health report (see the module docstring); never raises, never waits past the timeout."""
    return await health_monitor(resources).report()
