"""ArqQueue: enqueue into Redis for `docat worker` processes (jobs/worker.py runs the jobs)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from redis.exceptions import RedisError

from docat.queue.protocol import JOB_FUNCTION, job_id, password_token, wake_channel
from docat.queue.queued_rows import _current_run, _mark_queued
from docat.settings import Settings

if TYPE_CHECKING:
    from arq.connections import ArqRedis

# The name the queue logged under as one module (docat/queue.py).
logger = logging.getLogger("docat.queue")


class ArqQueue:
    """Enqueue into Redis for `docat worker` processes."""

    def __init__(self, settings: Settings, redis: ArqRedis) -> None:
        self._settings = settings
        self._redis = redis
        self.queue_name = settings.queue_name

    @classmethod
    async def open(cls, settings: Settings) -> ArqQueue:
        from arq.connections import RedisSettings, create_pool

        assert settings.redis_url is not None
        redis = await create_pool(
            RedisSettings.from_dsn(settings.redis_url), default_queue_name=settings.queue_name
        )
        return cls(settings, redis)

    @property
    def redis(self) -> ArqRedis:
        return self._redis

    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None:
        # Redis and the database at once: the stamp is conditional on QUEUED, so it may land
        # before or after a worker's claim.
        await asyncio.gather(
            self._enqueue(document_id, run, password_token(self._settings, password)),
            _mark_queued(document_id, run),
        )

    async def _enqueue(self, document_id: uuid.UUID, run: int, token: str | None) -> None:
        # None back means this job id already exists: that run is queued already.
        queued = await self._redis.enqueue_job(
            JOB_FUNCTION,
            str(document_id),
            run,
            password_token=token,
            _job_id=job_id(document_id, run),
            _queue_name=self.queue_name,
        )
        if queued is not None:
            await self._wake_workers()

    async def _wake_workers(self) -> None:
        """Best effort: a worker that misses this finds the job at its next poll anyway."""
        try:
            await self._redis.publish(wake_channel(self.queue_name), b"")
        except RedisError as exc:
            logger.warning("workers of %s not woken: %r", self.queue_name, exc)

    def _job(self, document_id: uuid.UUID, run: int) -> Any:
        from arq.jobs import Job as ArqJob

        return ArqJob(job_id(document_id, run), self._redis, _queue_name=self.queue_name)

    async def cancel(self, document_id: uuid.UUID) -> None:
        from arq.jobs import JobStatus

        run = await _current_run(document_id)
        if run is None:
            return
        # A running job sees Document.cancel_requested within half a second and ends
        # CANCELLED itself, so nothing is aborted through arq (an abort before start would
        # leave the row behind). A job waiting out a retry backoff is brought forward: it
        # then starts at once and ends CANCELLED without extracting anything.
        job = self._job(document_id, run)
        if await job.status() == JobStatus.deferred:
            now_ms = int(datetime.now(UTC).timestamp() * 1000)
            await self._redis.zadd(self.queue_name, {job.job_id: now_ms}, xx=True)
            await self._wake_workers()

    async def depth(self) -> int:
        return int(await self._redis.zcard(self.queue_name))

    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        from arq.constants import in_progress_key_prefix, job_key_prefix

        key = job_id(document_id, run)
        return bool(await self._redis.exists(job_key_prefix + key, in_progress_key_prefix + key))

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        from arq.constants import job_key_prefix

        old = self._job(document_id, old_run)
        info = await old.info()
        token = info.kwargs.get("password_token") if info is not None else None
        await self._enqueue(document_id, new_run, token)
        # The old run's job would only find itself superseded; drop it from the queue.
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.zrem(self.queue_name, old.job_id)
            pipe.delete(job_key_prefix + old.job_id)
            await pipe.execute()
        await _mark_queued(document_id, new_run)

    async def enqueue_task(self, function: str, *args: str, task_id: str, delay: float = 0.0) -> None:
        queued = await self._redis.enqueue_job(
            function, *args, _job_id=task_id, _queue_name=self.queue_name, _defer_by=delay or None
        )
        if queued is not None and not delay:
            await self._wake_workers()

    async def close(self) -> None:
        await self._redis.aclose()
