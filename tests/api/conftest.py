"""A live uvicorn server on the session's app, for clients that need a real socket (Node, Apollo)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import uvicorn
from starlette.applications import Starlette

from tests.fixtures.redis_server import free_port

START_WAIT = 30.0


@pytest.fixture(scope="session")
async def live_http(app: Starlette) -> AsyncIterator[str]:
    """http:// URL of /graphql on a real uvicorn server sharing the session's app (and its jobs)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="off", log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)

    await asyncio.wait_for(started(), START_WAIT)
    yield f"http://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await asyncio.wait_for(task, START_WAIT)
