"""A coroutine that runs beside a block of code and is stopped when the block ends.

    async with running(sweep_forever(resources), name="docat-webhook-sweep"):
        ...

The periodic loops of a process (retention, the webhook sweep, queue-depth
sampling) all had this shape: start a task, yield, cancel it and wait for it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any


@contextlib.asynccontextmanager
async def running(coroutine: Coroutine[Any, Any, None], *, name: str) -> AsyncIterator[asyncio.Task[None]]:
    """Run `coroutine` as a task for the duration of the block; cancelled and awaited on exit."""
    task = asyncio.create_task(coroutine, name=name)
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
