"""Every long-lived resource of a process, opened and closed in one place.

    async with open_resources(settings, pdf_pool=pool) as resources: ...

Each process of the service gets its Resources from the job host
(`jobs.host.open_host`: the API lifespan, `docat worker`, the benchmarks),
which passes in the PDF process pool and, in embedded mode, starts the
in-process queue with the job functions and the sweeps. This module only opens
what every process shares the same way: the database, file storage, the event
bus, the queue (as a client: it runs nothing until started) and the rate
limiter. docat/ imports nothing from jobs/ or the API (import-linter checks).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from docat.db import open_database
from docat.events import EventBus, open_event_bus
from docat.queue import JobQueue, open_queue
from docat.rate_limits import RateLimiter, open_rate_limiter
from docat.settings import Settings
from docat.storage import Storage, open_storage

T = TypeVar("T")


class PdfRunner(Protocol):
    """Where the jobs run PyMuPDF work: jobs.process_pool.PdfPool, given by the job host."""

    workers: int

    async def run(self, fn: Callable[..., T], *args: Any) -> T: ...

    async def warm(self) -> None: ...

    async def close(self) -> None: ...


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    bus: EventBus
    queue: JobQueue
    # PyMuPDF work of the jobs this process runs; its processes start on first use.
    pdf_pool: PdfRunner
    # Login, sign-up, upload and per-operation limits (docat/rate_limits.py); Redis-backed in
    # production, in memory embedded.
    rate_limiter: RateLimiter
    # One object per class for this process, owned by the part that defines the class (the LLM
    # runtime, the webhook HTTP client, /health's monitor, caches): see `shared`.
    parts: dict[type[Any], Any] = field(default_factory=dict, repr=False)
    # Closed with the resources, after the queue has stopped its jobs (e.g. the LLM HTTP client).
    closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def close_with(self, closer: Callable[[], Awaitable[None]]) -> None:
        self.closers.append(closer)

    def shared(self, kind: type[T], make: Callable[[], T] | None = None) -> T:
        """This process's one `kind`, keyed by its class (typed, not a string): made by `make` on
        first use; without `make` it must have been provided, else LookupError (a part that is
        missing fails loudly instead of being silently skipped)."""
        found = self.parts.get(kind)
        if found is None:
            if make is None:
                raise LookupError(f"{kind.__name__} was not provided to this process's resources")
            found = self.parts[kind] = make()
        return cast(T, found)

    def find(self, kind: type[T]) -> T | None:
        """The `kind` provided or made so far, if any."""
        return cast(T | None, self.parts.get(kind))

    def provide(self, kind: type[T], value: T | None) -> T | None:
        """Set (or with None, remove) this process's `kind`; returns the one it replaces."""
        previous = self.parts.pop(kind, None)
        if value is not None:
            self.parts[kind] = value
        return cast(T | None, previous)


@asynccontextmanager
async def open_resources(
    settings: Settings, *, pdf_pool: PdfRunner, migrate: bool = False
) -> AsyncIterator[Resources]:
    settings.validate_for_startup()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(open_database(settings, migrate=migrate))
        storage = await open_storage(settings)
        stack.push_async_callback(storage.close)
        bus = await open_event_bus(settings)
        stack.push_async_callback(bus.close)
        stack.push_async_callback(pdf_pool.close)
        rate_limiter = await stack.enter_async_context(open_rate_limiter(settings))
        closers: list[Callable[[], Awaitable[None]]] = []
        stack.push_async_callback(_close_all, closers)
        queue = await open_queue(settings)
        # Closed before the pool, the bus and the database its jobs still use.
        stack.push_async_callback(queue.close)
        yield Resources(
            settings=settings,
            storage=storage,
            bus=bus,
            queue=queue,
            pdf_pool=pdf_pool,
            rate_limiter=rate_limiter,
            closers=closers,
        )


async def _close_all(closers: list[Callable[[], Awaitable[None]]]) -> None:
    # Newest first, like the exit stack itself.
    for closer in reversed(closers):
        await closer()
