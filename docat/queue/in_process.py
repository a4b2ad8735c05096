"""InProcessQueue: the jobs as asyncio tasks of this process (embedded mode)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from docat.queue.protocol import JOB_FUNCTION, Job, job_id, password_token
from docat.queue.queued_rows import _mark_queued
from docat.settings import Settings

# The name the queue logged under as one module (docat/queue.py).
logger = logging.getLogger("docat.queue")


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
