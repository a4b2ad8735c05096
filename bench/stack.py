"""A whole running service for one benchmark: embedded, or PostgreSQL + Redis + arq.

    with Stack("production", workdir, {"MAX_PAGES_ADMIN": "1000"}) as stack:
        stack.url, stack.token, stack.api.pid, stack.worker.pid

Embedded: `docat serve` on a temporary DATA_DIR (SQLite, local files, jobs
in-process). Production: a PostgreSQL database of its own (created, then
dropped), a unique arq queue name on the shared Redis (its key deleted at the
end), `docat serve` and one `docat worker`. Either way the benchmark's admin
is seeded first and its bearer token handed out; every process is ours and
is stopped with its children.
"""

from __future__ import annotations

import asyncio
import secrets
import uuid
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import Literal

from bench.procs import PYTHON, Server, free_port
from bench.seed import seed
from docat.settings import load_settings

PG_ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/0"
Mode = Literal["embedded", "production"]


async def _create_database(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_database(name: str) -> None:
    import asyncpg

    admin = await asyncpg.connect(PG_ADMIN_DSN)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


async def _drop_queue(queue: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(REDIS_URL)
    try:
        await client.delete(queue)
    finally:
        await client.aclose()


class Stack:
    def __init__(self, mode: Mode, workdir: Path, extra_env: dict[str, str] | None = None) -> None:
        self.mode = mode
        self.workdir = workdir / mode
        self.env = {
            "DATA_DIR": str(self.workdir / "data"),
            "SECRET_KEY": secrets.token_urlsafe(32),
            "DATABASE_URL": "",
            "REDIS_URL": "",
            "S3_BUCKET": "",
            "LOG_LEVEL": "WARNING",
            **(extra_env or {}),
        }
        self.api: Server | None = None
        self.worker: Server | None = None
        self.token = ""
        self._cleanup = ExitStack()

    @property
    def url(self) -> str:
        assert self.api is not None
        return self.api.url

    @property
    def servers(self) -> list[Server]:
        return [s for s in (self.api, self.worker) if s is not None]

    def logs(self, chars: int = 600) -> str:
        return " | ".join(s.log_tail(chars) for s in self.servers)

    def __enter__(self) -> Stack:
        try:
            self._start()
        except BaseException:
            self._cleanup.close()
            raise
        return self

    def _start(self) -> None:
        if self.mode == "production":
            database = f"docat_bench_{uuid.uuid4().hex[:10]}"
            asyncio.run(_create_database(database))
            self._cleanup.callback(lambda: asyncio.run(_drop_database(database)))
            queue = f"docat-bench:{uuid.uuid4().hex[:10]}:queue"
            self._cleanup.callback(lambda: asyncio.run(_drop_queue(queue)))
            self.env |= {
                "DATABASE_URL": f"postgres://postgres@127.0.0.1:5432/{database}",
                "REDIS_URL": REDIS_URL,
                "QUEUE_NAME": queue,
            }
        settings = load_settings(
            data_dir=Path(self.env["DATA_DIR"]),
            secret_key=self.env["SECRET_KEY"],
            database_url=self.env["DATABASE_URL"] or None,
            redis_url=self.env["REDIS_URL"] or None,
        )
        self.token = seed(settings)  # migrates first: production servers do not
        port = free_port()
        api_args = [PYTHON, "-m", "docat.cli", "serve", "--port", str(port)]
        self.api = Server(api_args, self.env, self.workdir / "api.log", port)
        self._cleanup.callback(self.api.stop)  # ExitStack: stopped before the database is dropped
        self.api.start()
        if self.mode == "production":
            self.worker = Server([PYTHON, "-m", "docat.cli", "worker"], self.env, self.workdir / "worker.log")
            self._cleanup.callback(self.worker.stop)
            self.worker.start(ready_path=None)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._cleanup.close()
