"""A worker SIGKILLed in the middle of a 100-page job: another worker resumes it within seconds.

Real processes (`docat serve`, two `docat worker`, a private redis-server, a
PostgreSQL database of its own). The worker running the job is killed with
its whole process group (a lost machine). The other worker notices from the
dead one's heartbeat (docat/heartbeat.py, jobs/recovery.py), takes the run
over and resumes after the pages already saved. The test listens to the
document's events through Redis, as an API instance would.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pymupdf
import pytest

from docat.events import is_terminal, job_channel, open_event_bus, pages_channel
from docat.settings import load_settings
from graphql_api.relay import from_global_id
from tests.conftest import TEST_SECRET
from tests.fixtures.graphql_client import GraphQLClient
from tests.jobs import pdfs
from tests.jobs.conftest import DOCUMENT, UPLOAD, eventually
from tests.jobs.services import ProductionStack, Service, running_stack

ADMIN_EMAIL = "takeover-admin@example.com"
ADMIN_PASSWORD = "correct horse battery staple"
LOGIN = """
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) { accessToken user { id } }
}"""
OCR_PAGES = 16
TEXT_PAGES = 84
# One chunk of OCR pages (jobs/extract_in_pool.py OCR_MAX_CHUNK) with one PDF process per worker.
CHUNK = 2
# The bound (15 s from the kill to the take-over), plus slack for a shared machine.
TAKEOVER_WAIT = 25.0


def hundred_pages() -> bytes:
    """16 scanned pages (OCR, about a second each) and then 84 text pages."""
    combined = pymupdf.open()
    for part in (pdfs.scanned(OCR_PAGES), pdfs.text(TEXT_PAGES)):
        source = pymupdf.open(stream=part, filetype="pdf")
        combined.insert_pdf(source)
        source.close()
    data: bytes = combined.tobytes()
    combined.close()
    return pdfs.unique(data)


@pytest.fixture
async def stack(tmp_path: Path) -> AsyncIterator[ProductionStack]:
    async with running_stack(tmp_path, (ADMIN_EMAIL, ADMIN_PASSWORD), WORKER_MAX_JOBS="1") as production:
        yield production


async def test_a_killed_workers_job_resumes_on_the_other_worker(stack: ProductionStack) -> None:
    workers = [stack.worker(), stack.worker()]
    settings = load_settings(redis_url=stack.env["REDIS_URL"], secret_key=TEST_SECRET)
    bus = await open_event_bus(settings)
    progress: list[tuple[float, dict[str, Any]]] = []
    pages: list[tuple[float, int, int | None]] = []
    try:
        async with httpx.AsyncClient(base_url=stack.api_url, timeout=30) as http:
            gql = GraphQLClient(http)
            login = await gql.execute(LOGIN, {"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})
            token = login.ok()["login"]["accessToken"]
            # Ids are random: subscribe to the document's channels right after the upload
            # answers; the job's first events (QUEUED, ANALYZING) may go by unheard.
            result = await gql.upload(UPLOAD, {"options": None}, "file", hundred_pages(), token=token)
            doc_id = result.ok()["uploadDocument"]["id"]
            db_id = uuid.UUID(from_global_id(doc_id)[1])
            async with (
                bus.subscribe([job_channel(db_id)]) as job_events,
                bus.subscribe([pages_channel(db_id)]) as page_events,
            ):

                async def listen_progress() -> None:
                    async for event in job_events:
                        progress.append((time.monotonic(), event))
                        if is_terminal(event):
                            return

                async def listen_pages() -> None:
                    async for event in page_events:
                        pages.append((time.monotonic(), int(event["page"]), event.get("run")))

                listeners = [asyncio.create_task(listen_progress()), asyncio.create_task(listen_pages())]
                try:
                    killed_at = await kill_the_busy_worker(stack, workers, db_id, pages)
                    doc = await finished(gql, token, doc_id)
                    await asyncio.wait_for(listeners[0], 30)
                finally:
                    for listener in listeners:
                        listener.cancel()
                    await asyncio.gather(*listeners, return_exceptions=True)
    finally:
        await bus.close()

    context = (doc["error"], stack.logs())
    assert doc["status"] == "COMPLETED", context
    assert doc["content"]["pageCount"] == OCR_PAGES + TEXT_PAGES, context
    assert doc["creditsUsed"] == OCR_PAGES * 5 + TEXT_PAGES, context  # every page charged once

    # Subscribers saw the take-over: a RECOVERING event of attempt 2, soon after the kill.
    recovering = [(at, e) for at, e in progress if e.get("stage") == "RECOVERING"]
    assert recovering, ([e for _, e in progress], context)
    at, event = recovering[0]
    assert event["attempt"] == 2 and event["status"] == "QUEUED", event
    assert at - killed_at <= TAKEOVER_WAIT, (at - killed_at, context)
    # Progress never went back, across the two attempts.
    values = [e["progress"] for _, e in progress]
    assert values == sorted(values), values
    assert [e["attempt"] for _, e in progress] == sorted(e["attempt"] for _, e in progress)

    # Resumed, not restarted: the second run found the pages saved before the kill and
    # extracted only the others; the first run lost at most the chunk it was working on.
    saved_before_kill = {page for when, page, _ in pages if when < killed_at}
    messages = [e["node"]["message"] for e in doc["logs"]["edges"]]
    resumed = next(int(m) for line in messages for m in re.findall(r"resuming after (\d+) pages", line))
    extracted = next(int(m) for line in messages for m in re.findall(r"^Extracted (\d+) pages", line))
    assert resumed >= len(saved_before_kill) > 0, (resumed, len(saved_before_kill), messages)
    assert resumed + extracted == OCR_PAGES + TEXT_PAGES, messages
    first_run_pages = {page for _, page, run in pages if run == 0}
    assert first_run_pages <= set(range(1, resumed + CHUNK + 1)), first_run_pages
    second_run_pages = [page for _, page, run in pages if run == 1]
    assert len(second_run_pages) == len(set(second_run_pages)) == extracted
    assert not set(second_run_pages) & first_run_pages  # no saved page extracted again


async def kill_the_busy_worker(
    stack: ProductionStack,
    workers: list[Service],
    db_id: uuid.UUID,
    pages: list[tuple[float, int, int | None]],
) -> float:
    """SIGKILL the worker running the job once a few OCR pages are saved; returns when."""

    async def enough_pages() -> bool | None:
        return True if len(pages) >= 4 else None

    await eventually(enough_pages, 120)
    busy = [w for w in workers if str(db_id) in w.log()]
    assert len(busy) == 1, stack.logs()
    busy[0].kill()
    return time.monotonic()


async def finished(gql: GraphQLClient, token: str, doc_id: str) -> dict[str, Any]:
    async def check() -> dict[str, Any] | None:
        doc: dict[str, Any] = (await gql.execute(DOCUMENT, {"id": doc_id}, token=token)).ok()["document"]
        return doc if doc["status"] in ("COMPLETED", "FAILED", "CANCELLED") else None

    return await eventually(check)
