"""Every long-lived resource of a process, opened and closed in one place.

The API lifespan, the arq worker's startup/shutdown, the CLI and the test
fixtures all call `open_resources(settings)`, so each process talks to the
same database, storage, event bus and queue in the same way.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

from docat.db import open_database
from docat.events import EventBus, open_event_bus
from docat.settings import Settings
from docat.storage import Storage, open_storage


@dataclass
class Resources:
    settings: Settings
    storage: Storage
    bus: EventBus
    # Filled by the parts that need them (queue, PDF process pool, rate limiter...).
    extras: dict[str, Any] = field(default_factory=dict)


@asynccontextmanager
async def open_resources(settings: Settings, *, migrate: bool = False) -> AsyncIterator[Resources]:
    settings.validate_for_startup()
    async with AsyncExitStack() as stack:
        await stack.enter_async_context(open_database(settings, migrate=migrate))
        storage = await open_storage(settings)
        stack.push_async_callback(storage.close)
        bus = await open_event_bus(settings)
        stack.push_async_callback(bus.close)
        yield Resources(settings=settings, storage=storage, bus=bus)
