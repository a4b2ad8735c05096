"""The job queue: the job functions, two runners.

    queue = await open_queue(settings)       # ArqQueue when REDIS_URL is set, else InProcessQueue
    await queue.enqueue(doc.id, doc.run, password=options.password)
    await queue.cancel(doc.id)               # best effort; the job also polls Document.cancel_requested
    await queue.close()

Both run the functions jobs/host.py names (JOB_FUNCTION is
`jobs.documents.process_document(ctx, document_id, run, password_token)`)
with `ctx["resources"]` a Resources and `ctx["job_try"]` the delivery count, and
both honour `arq.Retry` (transient errors: run again later, same run). This
module knows them by name only: docat/ imports nothing from jobs/.

- `ArqQueue` only enqueues: `docat worker` processes (jobs/worker.py) run the
  jobs. The job id is "docat:<document>:<run>", so enqueueing a run twice is a
  no-op and every run is addressable (cancel, recovery). After each enqueue it
  publishes on `wake_channel(queue)`, which wakes idle workers at once instead
  of at their next poll (jobs/wakeup.py).
- `InProcessQueue` runs jobs as asyncio tasks of this process (embedded mode),
  at most `worker_max_jobs` at once, once the job host has started it with the
  functions (`jobs.host.open_host`).

The PDF password never reaches a database or a log: it travels in the job's
arguments Fernet-encrypted with a key derived from SECRET_KEY, and lives only
as long as the queued job (Redis) or the task (in-process). That is also why
recovery (`requeue`) re-uses the old job's token instead of asking for it.

Queueing a run also stamps `Document.heartbeat_at`: the recovery sweep
(jobs/recovery.py) reads it as "queued since" for runs whose job went missing.
In-process, only a job that has to wait for a slot is stamped: one that starts
at once gets its heartbeat from its claim.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from redis.exceptions import RedisError

from docat.security import decrypt_secret, encrypt_secret
from docat.settings import Settings

if TYPE_CHECKING:
    from arq.connections import ArqRedis

logger = logging.getLogger(__name__)

JOB_FUNCTION = "process_document"
PASSWORD_PURPOSE = "job-password"
Job = Callable[..., Awaitable[None]]


class JobQueue(Protocol):
    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None: ...

    async def cancel(self, document_id: uuid.UUID) -> None: ...

    async def depth(self) -> int: ...

    async def close(self) -> None: ...

    # ---- used by the recovery sweep -------------------------------------------------------

    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        """A job for this run is waiting or running (as far as this queue can tell)."""
        ...

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        """Queue `new_run` with the old run's password (if still known) and drop the old job."""
        ...

    # ---- small tasks beside the documents (webhook deliveries) -----------------------------

    async def enqueue_task(self, function: str, *args: str, task_id: str, delay: float = 0.0) -> None:
        """Run `function(ctx, *args)` in `delay` seconds; a `task_id` already queued is a no-op."""
        ...


def job_id(document_id: uuid.UUID | str, run: int) -> str:
    return f"docat:{document_id}:{run}"


def wake_channel(queue_name: str) -> str:
    """The pub/sub channel that tells the workers of `queue_name` a job is due now."""
    return f"{queue_name}:wake"


def password_token(settings: Settings, password: str | None) -> str | None:
    """The PDF password as it travels in the job's arguments (see the module docstring)."""
    if not password:
        return None
    return encrypt_secret(settings.signing_key, password, purpose=PASSWORD_PURPOSE)


def job_password(settings: Settings, token: str | None) -> str | None:
    """The password back from `password_token`; a ValueError means another SECRET_KEY."""
    if not token:
        return None
    return decrypt_secret(settings.signing_key, token, purpose=PASSWORD_PURPOSE)


async def _mark_queued(document_id: uuid.UUID, run: int) -> None:
    from models import Document, JobStatus

    await Document.filter(id=document_id, run=run, status=JobStatus.QUEUED).update(
        heartbeat_at=datetime.now(UTC)
    )


async def _current_run(document_id: uuid.UUID) -> int | None:
    from models import Document

    document = await Document.get_or_none(id=document_id).only("id", "run")
    return document.run if document is not None else None


# ---- arq ------------------------------------------------------------------------------------


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


# ---- in-process -----------------------------------------------------------------------------


@dataclass(slots=True)
class _Entry:
    run: int
    token: str | None
    task: asyncio.Task[None]
    started: bool = False
    # Set by cancel(): ends a retry backoff early.
    wake: asyncio.Event = field(default_factory=asyncio.Event)


class InProcessQueue:
    """asyncio tasks in this process, at most `worker_max_jobs` running at once."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._functions: Mapping[str, Job] = {}
        self._ctx: dict[str, Any] | None = None
        self._slots = asyncio.Semaphore(settings.worker_max_jobs)
        # One live task per document: its newest run.
        self._entries: dict[uuid.UUID, _Entry] = {}
        # Small tasks (enqueue_task) by task id, while they wait or run; a burst of them (webhook
        # deliveries after an outage) runs a bounded number at once, beside the jobs' slots.
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._task_slots = asyncio.Semaphore(settings.worker_max_jobs * 4)
        self._closed = False

    def start(self, ctx: dict[str, Any], functions: Mapping[str, Job]) -> None:
        """Run `functions` by name (JOB_FUNCTION the document job), each given `ctx` (with
        "resources"); nothing runs before this is called."""
        if JOB_FUNCTION not in functions:
            raise ValueError(f"the in-process queue needs the {JOB_FUNCTION!r} function")
        self._functions = dict(functions)
        self._ctx = ctx

    @property
    def running(self) -> bool:
        return self._ctx is not None and not self._closed

    async def enqueue(self, document_id: uuid.UUID, run: int, *, password: str | None = None) -> None:
        self._spawn(document_id, run, password_token(self._settings, password))
        if not self.running or self._slots.locked():
            # It waits (for a slot, or for a process that runs jobs): stamp "queued since".
            # A job that starts at once is stamped by its claim, and one write fewer on the
            # (single SQLite) connection leaves it to start sooner.
            await _mark_queued(document_id, run)

    def _spawn(self, document_id: uuid.UUID, run: int, token: str | None) -> None:
        if not self.running:
            # A process that does not run jobs (`docat process`, a closing server): the run stays
            # QUEUED and the recovery sweep of the next process that runs jobs picks it up.
            logger.warning("job for document %s run %d not started: queue not running", document_id, run)
            return
        current = self._entries.get(document_id)
        if current is not None and current.run >= run and not current.task.done():
            return  # this run (or a newer one) is already queued or running
        task = asyncio.create_task(self._run(document_id, run, token), name=f"docat-job:{document_id}:{run}")
        entry = self._entries[document_id] = _Entry(run, token, task)
        task.add_done_callback(lambda _: self._forget(document_id, entry))

    def _forget(self, document_id: uuid.UUID, entry: _Entry) -> None:
        if self._entries.get(document_id) is entry:
            del self._entries[document_id]

    async def _run(self, document_id: uuid.UUID, run: int, token: str | None) -> None:
        from arq.worker import Retry

        job = self._functions[JOB_FUNCTION]
        job_try = 1
        while True:
            async with self._slots:
                entry = self._entries.get(document_id)
                if entry is not None and entry.run == run:
                    entry.started = True
                assert self._ctx is not None
                ctx = {**self._ctx, "job_try": job_try, "job_id": job_id(document_id, run)}
                try:
                    await job(ctx, str(document_id), run, password_token=token)
                    return
                except Retry as retry:
                    delay = (retry.defer_score or 0) / 1000
                except Exception:
                    # The job records its own failures; this is only a bug escaping it.
                    logger.exception("job for document %s run %d crashed", document_id, run)
                    return
            job_try += 1
            entry = self._entries.get(document_id)
            if entry is not None:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(entry.wake.wait(), delay)

    async def cancel(self, document_id: uuid.UUID) -> None:
        # A running job sees Document.cancel_requested within half a second and ends
        # CANCELLED itself; one waiting for a slot ends CANCELLED as soon as it starts.
        # Only a retry backoff is cut short, so that happens at once.
        entry = self._entries.get(document_id)
        if entry is not None:
            entry.wake.set()

    async def depth(self) -> int:
        return sum(1 for e in self._entries.values() if not e.started and not e.task.done())

    async def pending(self, document_id: uuid.UUID, run: int) -> bool:
        entry = self._entries.get(document_id)
        return entry is not None and entry.run == run and not entry.task.done()

    async def requeue(self, document_id: uuid.UUID, old_run: int, new_run: int) -> None:
        entry = self._entries.get(document_id)
        token = None
        if entry is not None and entry.run == old_run:
            token = entry.token
            entry.task.cancel()  # superseded; its writes are ignored anyway
        await _mark_queued(document_id, new_run)
        self._spawn(document_id, new_run, token)

    async def enqueue_task(self, function: str, *args: str, task_id: str, delay: float = 0.0) -> None:
        if not self.running:
            logger.warning("task %s not started: queue not running", task_id)
            return
        if task_id in self._tasks:
            return
        task = asyncio.create_task(
            self._run_task(function, args, task_id, delay), name=f"docat-task:{task_id}"
        )
        self._tasks[task_id] = task
        task.add_done_callback(lambda _: self._tasks.pop(task_id, None))

    async def _run_task(self, function: str, args: tuple[str, ...], task_id: str, delay: float) -> None:
        if delay > 0:
            await asyncio.sleep(delay)
        assert self._ctx is not None
        try:
            async with self._task_slots:
                await self._functions[function]({**self._ctx, "job_try": 1, "job_id": task_id}, *args)
        except Exception:
            # Tasks keep their own state in the database; a sweep tries again.
            logger.exception("task %s crashed", task_id)

    async def close(self) -> None:
        self._closed = True
        for small in list(self._tasks.values()):
            small.cancel()
        tasks = [e.task for e in self._entries.values()]
        for task in tasks:
            task.cancel()
        if tasks:
            # Cancelled jobs put their run back to QUEUED; bounded so shutdown never hangs.
            await asyncio.wait(tasks, timeout=10)


async def open_queue(settings: Settings) -> JobQueue:
    """The one factory: ArqQueue when REDIS_URL is set, else InProcessQueue (start() it)."""
    if settings.redis_url:
        return await ArqQueue.open(settings)
    return InProcessQueue(settings)
