"""Every long-lived resource of a process, opened and closed in one place.

The API lifespan, the arq worker's startup/shutdown, the CLI and the test
fixtures all call `open_resources(settings)`, so each process talks to the
same database, storage, event bus and queue in the same way.

In embedded mode (no REDIS_URL) the queue runs jobs in this process: opening
the resources starts it, together with the periodic recovery sweep that
re-queues jobs a crash or restart left behind (`run_jobs=False` for processes
that must not, such as `docat process`). With Redis, `docat worker` processes
run the jobs and the sweep (jobs/worker.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from docat.db import open_database
from docat.events import EventBus, open_event_bus
from docat.process_pool import PdfPool
from docat.queue import InProcessQueue, JobQueue, open_queue
from docat.settings import Settings
from docat.storage import Storage, open_storage


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    bus: EventBus
    queue: JobQueue
    # PyMuPDF work of the jobs this process runs; its processes start on first use.
    pdf_pool: PdfPool
    # Filled by the parts that need them (rate limiter, LLM runtime...).
    extras: dict[str, Any] = field(default_factory=dict)
    # Closed with the resources, after the queue has stopped its jobs (e.g. the LLM HTTP client).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def close_with(self, closer: Callable[[], Awaitable[None]]) -> None:
        self.closers.append(closer)


@asynccontextmanager
async def open_resources(
    settings: Settings, *, migrate: bool = False, run_jobs: bool = True
) -> AsyncIterator[Resources]:
    settings.validate_for_startup()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(open_database(settings, migrate=migrate))
        storage = await open_storage(settings)
        stack.push_async_callback(storage.close)
        bus = await open_event_bus(settings)
        stack.push_async_callback(bus.close)
        pdf_pool = PdfPool(settings)
        stack.push_async_callback(pdf_pool.close)
        closers: list[Callable[[], Awaitable[None]]] = []
        stack.push_async_callback(_close_all, closers)
        queue = await open_queue(settings)
        # Closed before the pool, the bus and the database its jobs still use.
        stack.push_async_callback(queue.close)
        resources = Resources(
            settings=settings, storage=storage, bus=bus, queue=queue, pdf_pool=pdf_pool, closers=closers
        )
        if run_jobs and isinstance(queue, InProcessQueue):
            from jobs.recovery import start_recovery
            from jobs.webhooks_sweep import start_webhook_sweep

            queue.start({"resources": resources})
            await stack.enter_async_context(start_recovery(resources))
            await stack.enter_async_context(start_webhook_sweep(resources))
        yield resources


async def _close_all(closers: list[Callable[[], Awaitable[None]]]) -> None:
    # Newest first, like the exit stack itself.
    for closer in reversed(closers):
        await closer()
