"""A `docat serve` SIGKILLed right after an upload's body arrived leaves nothing a user sees.

The API stores originals in S3 (moto) through a gate the test can shut: bytes
stop flowing both ways, so the upload is stuck storing its original when the
process is killed, with its temp file written. Afterwards: no Document row (the
user never got an id, so must not get a document), and the next API process to
start removes the dead one's temp file.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from tests.fixtures.databases import create_postgres_database, drop_postgres_database
from tests.fixtures.graphql_client import GraphQLClient
from tests.fixtures.redis_server import RedisServer
from tests.fixtures.s3_server import s3_admin_client, s3_settings
from tests.jobs import pdfs
from tests.jobs.conftest import UPLOAD, eventually
from tests.jobs.services import ProductionStack, production_env

ADMIN_EMAIL = "upload-kill-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
DOCUMENTS = "query { documents(first: 50) { edges { node { id status } } } }"


class Gate:
    """A TCP forwarder whose traffic can be held: shut, nothing passes (nothing is closed)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.target = host, port
        self.port = 0
        self.open = asyncio.Event()
        self.open.set()
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            up_reader, up_writer = await asyncio.open_connection(self.host, self.target)
            await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        except (OSError, asyncio.CancelledError):
            pass
        finally:
            writer.transport.abort()
            self._tasks.discard(task)

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(65536):
            await self.open.wait()
            writer.write(data)
            await writer.drain()


@pytest.fixture
async def setup(tmp_path: Path, s3_endpoint: str) -> AsyncIterator[tuple[ProductionStack, Gate]]:
    database_url = await create_postgres_database()
    bucket = f"docat-kill-{uuid.uuid4().hex}"
    s3_admin_client(s3_endpoint).create_bucket(Bucket=bucket)
    parts = urlsplit(s3_endpoint)
    gate = Gate(parts.hostname or "127.0.0.1", parts.port or 80)
    await gate.start()
    redis = RedisServer(tmp_path)
    redis.start()
    settings = s3_settings(bucket, f"http://127.0.0.1:{gate.port}")
    env = production_env(
        database_url, redis.url, **{key.upper(): str(value) for key, value in settings.items()}
    )
    stack = ProductionStack(tmp_path, env)
    try:
        stack.migrate()
        stack.create_admin(ADMIN_EMAIL, ADMIN_PASSWORD)
        yield stack, gate
    finally:
        gate.open.set()
        stack.close()
        await gate.close()
        redis.stop()
        await drop_postgres_database(database_url)


async def login(http: httpx.AsyncClient) -> str:
    result = await GraphQLClient(http).execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
    return str(result.ok()["login"]["accessToken"])


async def test_an_api_killed_mid_upload_leaves_no_document_and_no_temp_file(
    setup: tuple[ProductionStack, Gate],
) -> None:
    stack, gate = setup
    # In a thread: the gate forwards S3 traffic from this event loop (/health reaches S3).
    await asyncio.to_thread(stack.serve)
    api = stack.services[-1]
    temp = Path(stack.env["DATA_DIR"]) / "tmp"
    pdf = pdfs.unique(pdfs.text(3))
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        token = await login(http)
        gate.open.clear()  # S3 stops answering: the original cannot be stored
        upload = asyncio.create_task(GraphQLClient(http).upload(UPLOAD, {}, "file", pdf, token=token))

        async def body_arrived() -> Path | None:
            files = (
                [p for p in temp.glob("upload-*.pdf") if p.stat().st_size == len(pdf)]
                if temp.is_dir()
                else []
            )
            return files[0] if files else None

        leftover = await eventually(body_arrived, 60)
        await asyncio.sleep(1.0)  # past admission, into storing the original (held by the gate)
        await asyncio.to_thread(api.kill)
        with contextlib.suppress(Exception):
            await upload
    assert leftover.exists()  # the killed process could not clean up after itself
    gate.open.set()

    # The next API process to start: no document for the user, and the temp file is gone.
    await asyncio.to_thread(stack.serve)
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=60) as http:
        token = await login(http)
        listed = (await GraphQLClient(http).execute(DOCUMENTS, token=token)).ok()["documents"]["edges"]
    assert listed == [], (listed, stack.logs())
    assert not leftover.exists(), sorted(temp.iterdir())
