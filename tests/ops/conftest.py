"""Helpers for the ops tests: a production-shaped app in its own ORM context, bounded polling.

A second app (its own PostgreSQL database behind a TCP proxy, a private
redis-server) must not disturb the session's `app`: Tortoise keeps its
connections in a contextvar, and `Tortoise.init` re-initializes whatever
context is current. `run_isolated` therefore runs a scenario in a task with an
empty contextvars.Context, where the second app creates a context of its own.
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
from starlette.applications import Starlette

from docat.db import migrate_database
from docat.settings import Settings, load_settings
from graphql_api.app import create_app
from tests.conftest import TEST_SECRET
from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.redis_server import RedisServer
from tests.ops.tcp_proxy import TcpProxy

T = TypeVar("T")

# Generous bounds for a shared machine: how long we are willing to wait, never an expectation.
WAIT = 30.0
POLL = 0.1


async def run_isolated(scenario: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return await asyncio.create_task(scenario(), context=contextvars.Context())


async def wait_for_value(
    probe: Callable[[], Awaitable[T]], done: Callable[[T], bool], within: float = WAIT
) -> T:
    """Poll `probe` until `done(value)`; returns the last value either way (assert on it)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    value = await probe()
    while not done(value) and loop.time() < deadline:
        await asyncio.sleep(POLL)
        value = await probe()
    return value


def with_port(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc.rsplit("@", 1)
    host = netloc[-1].rsplit(":", 1)[0]
    auth = netloc[0] + "@" if len(netloc) == 2 else ""
    return urlunsplit((parts.scheme, f"{auth}{host}:{port}", parts.path, parts.query, parts.fragment))


@asynccontextmanager
async def proxied_postgres() -> AsyncIterator[tuple[str, TcpProxy]]:
    """A fresh, migrated database and a proxy in front of the shared server: (url via proxy, proxy)."""
    url = await create_postgres_database()
    parts = urlsplit(url)
    proxy = TcpProxy(parts.hostname or "127.0.0.1", parts.port or 5432)
    try:
        await migrate_database(load_settings(database_url=url, secret_key=TEST_SECRET))
        await proxy.start()
        yield with_port(url, proxy.port), proxy
    finally:
        await proxy.close()
        await drop_postgres_database(url)


@contextmanager
def private_redis(directory: Path) -> Iterator[RedisServer]:
    """A redis-server of our own, which the test may stop and start (never the shared one)."""
    directory.mkdir(parents=True, exist_ok=True)
    with RedisServer(directory) as server:
        yield server


def production_settings(data_dir: Path, database_url: str, redis_url: str, **overrides: Any) -> Settings:
    return load_settings(
        data_dir=data_dir,
        database_url=database_url,
        redis_url=redis_url,
        secret_key=TEST_SECRET,
        **overrides,
    )


@asynccontextmanager
async def running_app(settings: Settings) -> AsyncIterator[tuple[Starlette, httpx.AsyncClient]]:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 50001))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield app, client
