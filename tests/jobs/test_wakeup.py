"""The arq worker wakes for a new job when it is queued, not at its next poll (jobs/wakeup.py).

Each worker here polls only every POLL_DELAY seconds, far longer than any wait in
these tests: a job that starts within WAIT was started by a wake-up. Bounds are
generous (a busy machine), never a measurement.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from arq.connections import RedisSettings
from arq.constants import retry_key_prefix
from arq.worker import func

from docat.queue import JOB_FUNCTION, ArqQueue, job_id
from jobs.wakeup import WakingWorker
from tests.jobs.conftest import REDIS_URL, eventually

POLL_DELAY = 120.0
WAIT = 30.0


class Recorder:
    """The job function: notes each document it runs, optionally held until `gate` opens."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.job_ids: list[str] = []
        self.gate = asyncio.Event()
        self.gate.set()

    async def run(self, ctx: dict[str, Any], document_id: str, run: int, **_: Any) -> None:
        self.started.append(document_id)
        self.job_ids.append(ctx["job_id"])
        await self.gate.wait()


StartWorker = Callable[..., Awaitable[WakingWorker]]


@pytest.fixture
async def start_worker(arq_queue: ArqQueue) -> AsyncIterator[StartWorker]:
    started: list[tuple[WakingWorker, asyncio.Task[None], Recorder]] = []

    async def start(job: Recorder, *, max_jobs: int = 10, poll_delay: float = POLL_DELAY) -> WakingWorker:
        worker = WakingWorker(
            functions=[func(job.run, name=JOB_FUNCTION)],
            queue_name=arq_queue.queue_name,
            redis_settings=RedisSettings.from_dsn(REDIS_URL),
            poll_delay=poll_delay,
            max_jobs=max_jobs,
            keep_result=0,
            handle_signals=False,
        )
        started.append((worker, asyncio.create_task(worker.main()), job))
        # Listening, and past its first poll (which found nothing): from now on only a
        # wake-up or POLL_DELAY gets it to look at the queue again.
        await eventually(lambda: _true_if(worker.wake_subscriptions > 0), WAIT)
        await asyncio.sleep(0.2)
        return worker

    yield start
    for worker, task, job in started:
        job.gate.set()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        await worker.close()
        if job.job_ids:
            await arq_queue.redis.delete(*(retry_key_prefix + i for i in job.job_ids))


async def _true_if(condition: bool) -> bool | None:
    return True if condition else None


async def test_a_queued_job_starts_without_waiting_for_the_poll(
    arq_queue: ArqQueue, start_worker: StartWorker
) -> None:
    job = Recorder()
    await start_worker(job)
    document = uuid.uuid4()
    await arq_queue.enqueue(document, 0)
    await eventually(lambda: _true_if(str(document) in job.started), WAIT)


async def test_a_full_worker_takes_the_next_job_when_one_ends(
    arq_queue: ArqQueue, start_worker: StartWorker
) -> None:
    job = Recorder()
    job.gate.clear()
    await start_worker(job, max_jobs=1)
    first, second = uuid.uuid4(), uuid.uuid4()
    await arq_queue.enqueue(first, 0)
    await eventually(lambda: _true_if(job.started == [str(first)]), WAIT)
    await arq_queue.enqueue(second, 0)  # heard, but no free slot: it stays queued
    await asyncio.sleep(0.5)
    assert job.started == [str(first)] and await arq_queue.depth() == 2
    job.gate.set()  # the first ends: its slot frees, the worker looks again at once
    await eventually(lambda: _true_if(job.started == [str(first), str(second)]), WAIT)


async def test_a_job_queued_without_a_wake_up_still_runs_at_the_poll(
    arq_queue: ArqQueue, start_worker: StartWorker
) -> None:
    """The poll stays the fallback: a job queued by something that does not publish."""
    job = Recorder()
    await start_worker(job, poll_delay=0.2)
    document = uuid.uuid4()
    await arq_queue.redis.enqueue_job(
        JOB_FUNCTION, str(document), 0, _job_id=job_id(document, 0), _queue_name=arq_queue.queue_name
    )
    await eventually(lambda: _true_if(str(document) in job.started), WAIT)
