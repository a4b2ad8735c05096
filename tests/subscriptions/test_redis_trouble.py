"""Open streams survive Redis trouble: after the bus re-subscribes they re-read the database and
send what they missed. The killed connection is the server bus's own (found by its client name);
the restart uses a private redis-server."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis import asyncio as aioredis
from starlette.applications import Starlette

from docat.events import EventBus, pages_channel
from models import Document, DocumentPage, JobStage, JobStatus, User
from tests.fixtures.redis_server import RedisServer

from .conftest import (
    DOCUMENT_PAGES,
    JOB_PROGRESS,
    MY_JOBS,
    WAIT,
    gid,
    kill_pubsub_connection,
    make_document,
    open_redis_bus,
    publisher,
    serving_with,
    subscribers_of,
    wait_until,
)
from .ws_client import WSClient


async def move_silently(doc: Document, **state: object) -> None:
    """The worker wrote the row but its event was lost."""
    await Document.filter(id=doc.id).update(**state)


async def test_killed_pubsub_connection_resends_each_job_progress_stream_its_state(
    live_server: str,
    redis_buses: tuple[EventBus, EventBus],
    redis_admin: aioredis.Redis,
    user: User,
    user_token: str,
) -> None:
    server_bus, worker_bus = redis_buses
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.2)
    job = publisher(worker_bus, doc)
    async with WSClient(live_server, {"token": user_token}) as ws:
        stream = ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})
        received = [(await anext(stream))["jobProgress"]]
        await job.progress("PROCESSING", "EXTRACTING", 0.3)
        received.append((await anext(stream))["jobProgress"])

        disconnects = server_bus.disconnects
        await move_silently(doc, progress=0.6, stage=JobStage.OCR)
        await kill_pubsub_connection(server_bus, redis_admin)
        received.append((await anext(stream))["jobProgress"])  # the row, re-read on resync
        assert server_bus.disconnects > disconnects

        await job.progress("COMPLETED", "DONE", 1.0)
        received += [data["jobProgress"] async for data in stream]
    assert [(e["status"], e["stage"], e["progress"]) for e in received] == [
        ("PROCESSING", "EXTRACTING", 0.2),
        ("PROCESSING", "EXTRACTING", 0.3),
        ("PROCESSING", "OCR", 0.6),
        ("COMPLETED", "DONE", 1.0),
    ]


async def test_killed_pubsub_connection_lets_my_jobs_see_a_job_that_ended_meanwhile(
    live_server: str,
    redis_buses: tuple[EventBus, EventBus],
    redis_admin: aioredis.Redis,
    user: User,
    user_token: str,
) -> None:
    server_bus, _ = redis_buses
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, progress=0.2)
    async with WSClient(live_server, {"token": user_token}) as ws:
        stream = ws.subscribe(MY_JOBS)
        assert (await anext(stream))["myJobs"]["status"] == "PROCESSING"
        # Its terminal event is lost: only the row says it ended.
        await move_silently(doc, status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
        await kill_pubsub_connection(server_bus, redis_admin)
        event = (await anext(stream))["myJobs"]
    assert (event["documentId"], event["status"], event["progress"]) == (gid(doc), "COMPLETED", 1.0)


async def test_killed_pubsub_connection_flushes_pages_saved_meanwhile(
    live_server: str,
    redis_buses: tuple[EventBus, EventBus],
    redis_admin: aioredis.Redis,
    user: User,
    user_token: str,
) -> None:
    server_bus, worker_bus = redis_buses
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING, page_count=2)
    job = publisher(worker_bus, doc)
    async with WSClient(live_server, {"token": user_token}) as ws:
        stream = ws.subscribe(DOCUMENT_PAGES, {"documentId": gid(doc)})
        first_page = asyncio.ensure_future(anext(stream))
        await wait_until(lambda: subscribers_of(server_bus, pages_channel(doc.id)) == 1)
        await job.page_done(1, 2, [])
        first = (await asyncio.wait_for(first_page, WAIT))["documentPages"]
        await DocumentPage.create(document=doc, run=doc.run, page=2, page_count=2, blocks=[])
        await kill_pubsub_connection(server_bus, redis_admin)
        second = (await anext(stream))["documentPages"]
        await job.progress("COMPLETED", "DONE", 1.0)
        rest = [data async for data in stream]
    assert (first["page"], second["page"], rest) == (1, 2, [])


async def test_redis_restart_mid_job(
    app: Starlette, live_server: str, tmp_path: Path, user: User, user_token: str
) -> None:
    doc = await make_document(user, status=JobStatus.PROCESSING, stage=JobStage.ANALYZING, progress=0.1)
    with RedisServer(tmp_path) as redis:
        server_bus = await open_redis_bus(redis.url, "")
        worker_bus = await open_redis_bus(redis.url, "")
        try:
            with serving_with(app, server_bus):
                job = publisher(worker_bus, doc)
                async with WSClient(live_server, {"token": user_token}) as ws:
                    stream = ws.subscribe(JOB_PROGRESS, {"documentId": gid(doc)})
                    received = [(await anext(stream))["jobProgress"]]
                    await job.progress("PROCESSING", "EXTRACTING", 0.2)
                    received.append((await anext(stream))["jobProgress"])

                    await asyncio.to_thread(redis.stop)
                    await wait_until(lambda: not server_bus.connected)
                    # The job carries on: its events are lost (logged), its row is written.
                    await job.progress("PROCESSING", "EXTRACTING", 0.5)
                    await move_silently(doc, stage=JobStage.EXTRACTING, progress=0.5)
                    await asyncio.to_thread(redis.start)

                    received.append((await anext(stream))["jobProgress"])
                    await wait_until(lambda: worker_bus.connected)
                    await job.progress("PROCESSING", "FINALIZING", 0.9)
                    await job.progress("COMPLETED", "DONE", 1.0)
                    received += [data["jobProgress"] async for data in stream]
        finally:
            await server_bus.close()
            await worker_bus.close()
    assert [(e["stage"], e["progress"]) for e in received] == [
        ("ANALYZING", 0.1),
        ("EXTRACTING", 0.2),
        ("EXTRACTING", 0.5),
        ("FINALIZING", 0.9),
        ("DONE", 1.0),
    ]
