"""Apollo Client 4 (tests/js/apollo_cache.mjs): a Document queried once over HTTP changes status in
the normalized cache from jobProgress events alone (`JobProgress.document`), no refetch."""

from __future__ import annotations

import asyncio
import shutil
from typing import Any

import pytest

from docat.events import EventBus, job_channel
from models import Document, JobStage, JobStatus, User

from .conftest import gid, make_document, publisher, subscribers_of, wait_until
from .node_client import JS_DIR, read_line, stop

LINE_WAIT = 60.0  # a bound on the next line, never an expectation


async def run_apollo_client(ws_url: str, token: str, document_id: str) -> asyncio.subprocess.Process:
    node = shutil.which("node")
    if node is None or not (JS_DIR / "node_modules" / "@apollo" / "client").is_dir():
        pytest.fail("the Apollo client needs node and `npm ci` in tests/js (.ci/run does it)")
    http_url = "http" + ws_url.removeprefix("ws")
    return await asyncio.create_subprocess_exec(
        node, str(JS_DIR / "apollo_cache.mjs"), http_url, ws_url, token, document_id,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def next_line(process: asyncio.subprocess.Process, kind: str) -> dict[str, Any]:
    line = await read_line(process, LINE_WAIT)
    assert line["type"] == kind, line
    return line


def state(document: dict[str, Any]) -> tuple[str, str, float]:
    return document["status"], document["stage"], document["progress"]


async def test_apollo_cache_follows_the_document_from_subscription_events(
    live_server: str, api_bus: EventBus, user: User, user_token: str
) -> None:
    doc = await make_document(user, page_count=4)
    worker = publisher(api_bus, doc)
    process = await run_apollo_client(live_server, user_token, gid(doc))
    try:
        cached = (await next_line(process, "cached"))["document"]
        assert (cached["id"], *state(cached)) == (gid(doc), "QUEUED", "QUEUED", 0.0)
        await next_line(process, "subscribed")
        snapshot = await next_line(process, "next")  # the job's state when the stream began
        assert state(snapshot["cached"]) == ("QUEUED", "QUEUED", 0.0)
        await wait_until(lambda: subscribers_of(api_bus, job_channel(doc.id)) == 1)

        # As a worker does: some states are published before the row is written, some after.
        await worker.progress("PROCESSING", "ANALYZING", 0.0, page_count=4)
        started = await next_line(process, "next")
        await Document.filter(id=doc.id).update(status=JobStatus.PROCESSING, stage=JobStage.EXTRACTING)
        await worker.progress("PROCESSING", "EXTRACTING", 0.5, page=2, page_count=4)
        halfway = await next_line(process, "next")
        await Document.filter(id=doc.id).update(status=JobStatus.COMPLETED, stage=JobStage.DONE, progress=1.0)
        await worker.progress("COMPLETED", "DONE", 1.0, page_count=4)
        finished = await next_line(process, "next")
        complete = await next_line(process, "complete")
        assert await asyncio.wait_for(process.wait(), LINE_WAIT) == 0
    finally:
        await stop(process)

    for line in (started, halfway, finished):
        assert state(line["cached"]) == state(line["event"]), line
    assert state(started["cached"]) == ("PROCESSING", "ANALYZING", 0.0)
    assert state(halfway["cached"]) == ("PROCESSING", "EXTRACTING", 0.5)
    assert state(complete["cached"]) == ("COMPLETED", "DONE", 1.0)
    # The one HTTP request is the first query; a watching component saw each status in turn.
    assert complete["httpRequests"] == 1
    assert [s for i, s in enumerate(complete["watched"]) if i == 0 or s != complete["watched"][i - 1]] == [
        "QUEUED",
        "PROCESSING",
        "COMPLETED",
    ]
