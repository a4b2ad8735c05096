"""The database: one Tortoise config and one context manager for every process.

The API lifespan, the worker, the CLI and the tests all open the database
through `open_database(settings)`, so they see the same models, connection
options and migrations.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from tortoise import Tortoise, connections
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.backends.base.executor import EXECUTOR_CACHE
from tortoise.context import set_global_context
from tortoise.exceptions import ConfigurationError
from tortoise.migrations.api import migrate as run_migrations

from docat.settings import Settings, load_settings

APP_LABEL = "models"


class LeanResetConnection(asyncpg.Connection):  # type: ignore[misc]
    """asyncpg's connection without its reset query on every release to the pool.

    Tortoise takes a pooled connection per query outside a transaction, and asyncpg's
    pool resets each one it gets back: `SELECT pg_advisory_unlock_all(); CLOSE ALL;
    UNLISTEN *; RESET ALL;`, one more round trip per query (~20 on an upload and its
    job). The service holds no session state to undo: no advisory locks, cursors,
    LISTEN or SET (settings go in at connect, as server_settings). An open transaction
    is still rolled back by the pool (asyncpg does that apart from this query).
    """

    def get_reset_query(self) -> str:
        return ""


# Seconds to open a PostgreSQL connection before the request gives up (SERVICE_UNAVAILABLE).
CONNECT_TIMEOUT_SECONDS = 5


def create_owner_only_sqlite(url: str) -> None:
    """The SQLite file and its folder, created readable by the service's user only (0600/0700).

    SQLite gives its -wal and -shm files the database file's mode, so they follow.
    An existing file keeps the mode its operator gave it.
    """
    path = Path(url[len("sqlite://") :].split("?", 1)[0])
    if str(path) in ("", ":memory:"):
        return
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        with contextlib.suppress(FileExistsError):
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def tortoise_config(settings: Settings) -> dict[str, Any]:
    url = settings.db_url
    if url.startswith("sqlite://"):
        create_owner_only_sqlite(url)
        if "?" not in url:
            # Tortoise opens SQLite in WAL mode. There, synchronous=NORMAL is SQLite's own
            # advice: no corruption and nothing lost when the process dies; only the last
            # commits may be lost if the machine loses power. FULL fsyncs every commit,
            # ~0.4 ms each (3 ms on a busy disk), on a job's every state change.
            url += "?synchronous=NORMAL"
    connection: str | dict[str, Any] = url
    if url.startswith("postgres://"):
        connection = expand_db_url(url)
        if connection["engine"] == "tortoise.backends.asyncpg":
            connection["credentials"].setdefault("connection_class", LeanResetConnection)
            # asyncpg waits 60 s for a connection by default: an unreachable database must be
            # answered SERVICE_UNAVAILABLE in seconds (a URL's ?timeout= still wins).
            connection["credentials"].setdefault("timeout", CONNECT_TIMEOUT_SECONDS)
    return {
        "connections": {"default": connection},
        "apps": {
            APP_LABEL: {
                "models": ["models"],
                "migrations": "migrations",
                "default_connection": "default",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate_database(settings: Settings) -> None:
    """Apply every pending migration (idempotent; safe on each start)."""
    await run_migrations(config=tortoise_config(settings))
    await connections.close_all()


@asynccontextmanager
async def open_database(settings: Settings, *, migrate: bool = False) -> AsyncIterator[None]:
    """Connect (optionally migrating first) and close every connection on exit."""
    if migrate:
        await migrate_database(settings)
    context = await Tortoise.init(config=tortoise_config(settings))
    try:
        # uvicorn runs the lifespan in one task and every request in another, which do not
        # share the contextvar Tortoise.init set: without a process-wide fallback no request
        # could reach the database. Only one database per process can be it; a second one
        # (tests run another app in an isolated context) stays in its own context.
        set_global_context(context)
    except ConfigurationError:
        pass
    try:
        yield
    finally:
        # Also clears the process-wide fallback when it is this one.
        await context.close_connections()
        # Tortoise caches SQL per connection *name*; a later open of another
        # backend under the same name (tests run SQLite, then PostgreSQL)
        # must not reuse SQLite's placeholders.
        EXECUTOR_CACHE.clear()


async def ping_database() -> None:
    """A real round trip, for /health."""
    await connections.get("default").execute_query("SELECT 1")


# For `python -m tortoise -c docat.db.TORTOISE_ORM makemigrations` (developers only).
TORTOISE_ORM = tortoise_config(load_settings())
