"""A live API on a free port (the session's app, served by uvicorn in the test loop), documents in
known states, and event buses to publish on like a worker does.

The server shares the session's app and its lifespan (lifespan="off"), so tests create rows and
publish events in the very database and bus the server reads. Every wait is bounded by WAIT.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
import uvicorn
from redis import asyncio as aioredis
from starlette.applications import Starlette

from docat.events import EventBus, RedisOptions, open_event_bus
from docat.settings import load_settings
from graphql_api.relay import to_global_id
from jobs.progress import ProgressPublisher
from models import TERMINAL_STATUSES, Document, JobStage, JobStatus, User
from tests.fixtures import waiting
from tests.fixtures.redis_server import SHARED_REDIS_URL, free_port

WAIT = 20.0

# Loss is noticed and repaired within a second or so in tests.
FAST_REDIS = RedisOptions(
    connect_timeout=1.0,
    ping_interval=0.3,
    ping_timeout=0.5,
    reconnect_backoff=(0.05, 0.3),
    publish_retry_for=0.5,
)

JOB_PROGRESS = """
subscription Progress($documentId: ID!) {
  jobProgress(documentId: $documentId) { documentId status stage progress page pageCount message at }
}"""
MY_JOBS = "subscription { myJobs { documentId status stage progress at } }"
ALL_JOBS = "subscription { allJobs { documentId status stage progress } }"
DOCUMENT_PAGES = """
subscription Pages($documentId: ID!) {
  documentPages(documentId: $documentId) { documentId page pageCount blocks { page type text } }
}"""


@pytest.fixture(scope="session")
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """ws:// URL of /graphql on a real uvicorn server (websockets-sansio, like `docat serve`)."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        lifespan="off",
        ws_per_message_deflate=False,
        log_level="warning",
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())

    async def started() -> None:
        while not server.started:
            if task.done():
                task.result()
            await asyncio.sleep(0.02)

    await asyncio.wait_for(started(), WAIT)
    yield f"ws://127.0.0.1:{port}/graphql"
    server.should_exit = True
    await asyncio.wait_for(task, WAIT)


# Rows made by make_document in the running test; ended by `end_leftover_jobs` afterwards.
_made: list[uuid.UUID] = []


@pytest.fixture(autouse=True)
async def end_leftover_jobs() -> AsyncIterator[None]:
    """Rows left QUEUED or PROCESSING are ended after each test, so neither a later allJobs
    snapshot nor the embedded recovery sweep (it re-runs stale jobs) ever picks them up."""
    yield
    made, _made[:] = list(_made), []
    if made:
        await (
            Document.filter(id__in=made)
            .exclude(status__in=TERMINAL_STATUSES)
            .update(status=JobStatus.CANCELLED, stage=JobStage.DONE)
        )


async def make_document(
    owner: User,
    *,
    status: JobStatus = JobStatus.QUEUED,
    stage: JobStage = JobStage.QUEUED,
    progress: float = 0.0,
    run: int = 1,
    page_count: int | None = None,
    **fields: Any,
) -> Document:
    doc = await Document.create(
        owner=owner,
        filename="report.pdf",
        size_bytes=1234,
        sha256=uuid.uuid4().hex * 2,
        status=status,
        stage=stage,
        progress=progress,
        run=run,
        page_count=page_count,
        **fields,
    )
    _made.append(doc.id)
    return doc


def gid(doc: Document) -> str:
    return to_global_id("Document", doc.id)


def publisher(bus: EventBus, doc: Document) -> ProgressPublisher:
    """What the worker publishes for `doc`, uncoalesced so every call goes out."""
    return ProgressPublisher(bus, doc.id, doc.owner_id, run=doc.run, min_interval=0)  # type: ignore[attr-defined]


@pytest.fixture
def api_bus(app: Starlette) -> EventBus:
    """The bus the server's subscriptions read (in-process unless a test swaps in Redis)."""
    bus: EventBus = app.state.resources.bus
    return bus


@pytest.fixture
async def redis_admin() -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(SHARED_REDIS_URL, decode_responses=True)
    try:
        await client.ping()
    except Exception as exc:
        pytest.fail(f"shared Redis at {SHARED_REDIS_URL} is not reachable: {exc!r}")
    yield client
    await client.aclose()


async def open_redis_bus(url: str, namespace: str) -> EventBus:
    return await open_event_bus(load_settings(redis_url=url), namespace=namespace, redis_options=FAST_REDIS)


@contextlib.contextmanager
def serving_with(app: Starlette, bus: EventBus) -> Iterator[None]:
    """The server's subscriptions read `bus` meanwhile, as if it had been started with its REDIS_URL."""
    resources = app.state.resources
    original, resources.bus = resources.bus, bus
    try:
        yield
    finally:
        resources.bus = original


@pytest.fixture
async def redis_buses(
    app: Starlette, redis_admin: aioredis.Redis
) -> AsyncIterator[tuple[EventBus, EventBus]]:
    """(the server's bus, a worker's bus): two connections to the shared Redis, one private namespace."""
    namespace = f"test-subs-{uuid.uuid4().hex}:"
    server_bus = await open_redis_bus(SHARED_REDIS_URL, namespace)
    worker_bus = await open_redis_bus(SHARED_REDIS_URL, namespace)
    try:
        with serving_with(app, server_bus):
            yield server_bus, worker_bus
    finally:
        await server_bus.close()
        await worker_bus.close()


async def kill_pubsub_connection(bus: EventBus, admin: aioredis.Redis) -> None:
    """CLIENT KILL of this bus's own pub/sub connection only (the shared Redis serves others too)."""
    clients = await admin.client_list(_type="pubsub")
    ids = [c["id"] for c in clients if c["name"] == bus.pubsub_client_name]
    assert len(ids) == 1, clients
    await admin.execute_command("CLIENT", "KILL", "ID", ids[0])


async def wait_until(predicate: Callable[[], object], within: float = WAIT) -> None:
    """Poll until true; TimeoutError after `within` seconds (a bound, not an expectation)."""
    await waiting.wait_until(predicate, within)


def subscribers_of(bus: EventBus, channel: str) -> int:
    """Local subscriptions of a channel (tests look inside the bus to see who is listening)."""
    fanout = bus._fanouts.get(bus.namespace + channel)
    return 0 if fanout is None else len(fanout.subscribers)
