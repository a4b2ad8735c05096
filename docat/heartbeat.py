"""Worker heartbeats: every worker says "alive" every few seconds; /health reads the newest.

    store = RedisHeartbeats(redis)              # production: keys in Redis, seen by every API
    store = LocalHeartbeats()                   # embedded: the API process is the worker
    async with heartbeating(store):             # beats now, then every INTERVAL_SECONDS
        ...
    newest = await store.newest()               # Beat(worker, at, workers) or None

In Redis each worker owns one key, `docat:worker:<hostname>:<pid>`, holding the
Unix time of its last beat and expiring after TTL_SECONDS: a worker that dies
without a clean shutdown disappears from the set by itself, a clean shutdown
deletes its key at once. Each beat also sets the worker's
`docat_worker_heartbeat_timestamp_seconds{worker="<hostname>-<pid>"}` gauge (the DocatWorkerHeartbeatStale
alert watches it), so a worker whose loop is blocked stops moving both.

The beat runs in the worker's event loop on purpose: a loop blocked by a hung
job cannot beat, which is exactly what the health check and the alert must see.

The key's short TTL is also how a dead worker is told from a live one within
seconds: the recovery pass (jobs/recovery.py) takes over a PROCESSING run
whose worker's key is gone. While Redis is down a worker cannot refresh its
key and may drop out of the count (/health cannot read it either); a beat that
failed is tried again within a second, not a whole interval later, so the
worker re-registers as soon as Redis is back.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from docat import metrics

if TYPE_CHECKING:
    from redis.asyncio import Redis

log = logging.getLogger(__name__)

KEY_PREFIX = "docat:worker:"
# "docat:worker-runs:<worker>": the runs ("<document id>:<run>") the worker has in hand, written
# with each beat and expiring with it: a run nobody lists has no live worker.
RUNS_KEY_PREFIX = "docat:worker-runs:"
INTERVAL_SECONDS = 2.0
# Four missed beats: one slow Redis round trip never makes a live worker vanish, and a dead
# one is gone (its run recoverable, jobs/recovery.py) within seconds.
TTL_SECONDS = 8
# After a failed beat (Redis away), the next try comes this soon, doubling up to the interval.
RETRY_FIRST_SECONDS = 0.5
# /health calls the workers degraded when the newest beat is older than this.
STALE_AFTER_SECONDS = 30.0
# SCAN page size; the number of worker keys is small (one per worker process).
_SCAN_COUNT = 500


def worker_name() -> str:
    """This process as a worker: "<hostname>:<pid>" (container host names are unique per replica)."""
    return f"{socket.gethostname()}:{os.getpid()}"


def metric_label(worker: str) -> str:
    """The worker's `worker` label: "<hostname>-<pid>" (label values have no ':')."""
    return worker.replace(":", "-")


@dataclass(frozen=True, slots=True)
class Beat:
    worker: str
    at: float  # Unix time of the newest beat
    workers: int  # workers currently beating

    def age(self, now: float | None = None) -> float:
        return max(0.0, (time.time() if now is None else now) - self.at)


class RunRegistry:
    """The runs this process is working on, beaten along with its heartbeat."""

    def __init__(self) -> None:
        self._runs: set[str] = set()

    @staticmethod
    def label(document_id: object, run: int) -> str:
        return f"{document_id}:{run}"

    def add(self, document_id: object, run: int) -> None:
        self._runs.add(self.label(document_id, run))

    def discard(self, document_id: object, run: int) -> None:
        self._runs.discard(self.label(document_id, run))

    def snapshot(self) -> list[str]:
        return sorted(self._runs)


class HeartbeatStore(Protocol):
    async def beat(self, worker: str, at: float) -> None: ...

    async def forget(self, worker: str) -> None: ...

    async def newest(self) -> Beat | None: ...


class LocalHeartbeats:
    """Embedded mode: the beats of this process's own in-process worker."""

    def __init__(self) -> None:
        self._beats: dict[str, float] = {}

    async def beat(self, worker: str, at: float) -> None:
        self._beats[worker] = at

    async def forget(self, worker: str) -> None:
        self._beats.pop(worker, None)

    async def newest(self) -> Beat | None:
        if not self._beats:
            return None
        worker, at = max(self._beats.items(), key=lambda item: item[1])
        return Beat(worker, at, len(self._beats))


class RedisHeartbeats:
    """Production: one expiring key per worker, readable from every API instance."""

    def __init__(
        self,
        redis: Redis,
        prefix: str = KEY_PREFIX,
        ttl_seconds: int = TTL_SECONDS,
        runs: RunRegistry | None = None,
        runs_prefix: str = RUNS_KEY_PREFIX,
    ) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_seconds = ttl_seconds
        self.runs = runs
        self.runs_prefix = runs_prefix

    def key(self, worker: str) -> str:
        return self.prefix + worker

    async def beat(self, worker: str, at: float) -> None:
        if self.runs is None:
            await self.redis.set(self.key(worker), repr(at), ex=self.ttl_seconds)
            return
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.set(self.key(worker), repr(at), ex=self.ttl_seconds)
            pipe.set(self.runs_prefix + worker, json.dumps(self.runs.snapshot()), ex=self.ttl_seconds)
            await pipe.execute()

    async def forget(self, worker: str) -> None:
        await self.redis.delete(self.key(worker), self.runs_prefix + worker)

    async def claimed_runs(self) -> set[str]:
        """Every run some live worker lists ("<document id>:<run>")."""
        keys = [key async for key in self.redis.scan_iter(match=self.runs_prefix + "*", count=_SCAN_COUNT)]
        claimed: set[str] = set()
        if not keys:
            return claimed
        for value in await self.redis.mget(keys):
            if value is None:
                continue
            try:
                claimed.update(str(run) for run in json.loads(value))
            except (ValueError, TypeError):
                continue  # not ours
        return claimed

    async def newest(self) -> Beat | None:
        keys = [key async for key in self.redis.scan_iter(match=self.prefix + "*", count=_SCAN_COUNT)]
        if not keys:
            return None
        values = await self.redis.mget(keys)
        beats: list[tuple[float, str]] = []
        for key, value in zip(keys, values, strict=True):
            if value is None:
                continue  # expired between SCAN and MGET
            try:
                at = float(value)
            except ValueError:
                continue  # not ours; never let a stray key break /health
            name = key.decode() if isinstance(key, bytes) else str(key)
            beats.append((at, name.removeprefix(self.prefix)))
        if not beats:
            return None
        at, worker = max(beats)
        return Beat(worker, at, len(beats))


async def beat_once(store: HeartbeatStore, worker: str) -> None:
    now = time.time()
    # The gauge first: a Redis outage must not hide that the loop itself is alive.
    metrics.record_worker_heartbeat(metric_label(worker), now)
    await store.beat(worker, now)


async def _beat_forever(store: HeartbeatStore, worker: str, interval: float, stop: asyncio.Event) -> None:
    delay = interval
    failures = 0
    while True:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=delay)
        if stop.is_set():
            return
        try:
            await beat_once(store, worker)
        except Exception as exc:  # Redis down: keep beating, soon, so the key is back at once
            failures += 1
            delay = min(interval, RETRY_FIRST_SECONDS * 2 ** (failures - 1))
            if failures <= 3 or failures % 20 == 0:
                log.warning("heartbeat of %s not stored: %s", worker, type(exc).__name__)
            continue
        if failures:
            log.warning("heartbeat of %s stored again after %d failed beats", worker, failures)
        failures, delay = 0, interval


@contextlib.asynccontextmanager
async def heartbeating(
    store: HeartbeatStore, worker: str | None = None, interval: float = INTERVAL_SECONDS
) -> AsyncIterator[str]:
    """Beat at once (so /health sees a starting worker), then every `interval`; yields the name.

    On exit the loop stops and the key is removed, so a cleanly stopped worker
    does not look alive for another TTL.
    """
    name = worker or worker_name()
    try:
        await beat_once(store, name)
    except Exception as exc:
        log.warning("first heartbeat of %s not stored: %s", name, type(exc).__name__)
    stop = asyncio.Event()
    task = asyncio.create_task(_beat_forever(store, name, interval, stop), name=f"docat-heartbeat:{name}")
    try:
        yield name
    finally:
        # The flag as well as the cancel: a cancellation that lands inside a Redis command while
        # the client reconnects can be swallowed by the client, and then `await task` never
        # returned (a test hung there). The flag ends the loop at its next turn; the wait is
        # bounded either way.
        stop.set()
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=2.0)
        if not done:
            log.warning("heartbeat loop of %s did not stop within 2 s", name)
        try:
            # Bounded: shutting down must not wait on an unreachable Redis.
            await asyncio.wait_for(store.forget(name), timeout=2.0)
        except Exception as exc:
            log.warning("heartbeat key of %s not removed: %s", name, type(exc).__name__)


__all__ = [
    "INTERVAL_SECONDS",
    "KEY_PREFIX",
    "RUNS_KEY_PREFIX",
    "STALE_AFTER_SECONDS",
    "TTL_SECONDS",
    "Beat",
    "HeartbeatStore",
    "LocalHeartbeats",
    "RedisHeartbeats",
    "RunRegistry",
    "beat_once",
    "heartbeating",
    "metric_label",
    "worker_name",
]
